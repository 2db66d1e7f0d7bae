// The drawing tools: pointer gestures on the stage (brush, eraser and region strokes, boxes, the arrow, point
// pairs) and the keyboard shortcuts. A gesture edits a private copy of the drawing and commits it to the store
// once, when it ends, as one undo step.
import { cloneSnapshot } from "./store.js";
import { strokeSegment } from "./layers.js";

export const TOOL_LABELS = {
	brush: ["Brush", "Paint the mask"],
	eraser: ["Eraser", "Erase the mask and the reference region"],
	box: ["Box", "Drag a box around an object"],
	arrow: ["Arrow", "Drag from where the object is to where it should go"],
	points: ["Points", "Click a handle, then its target (or drag from handle to target); drag a point to move it"],
	region: ["Region", "Paint the optional reference region"],
};
/** The brush's tooltip for what the mask means in the current mode (the canvas's `mask_meaning`). */
export const BRUSH_TIPS = {
	object: "Paint the object",
	editable: "Paint the region the drag may change (handles and targets must lie inside it)",
};
export const BRUSH_TOOLS = ["brush", "eraser", "region"];
const HIT_RADIUS_CSS = 10; // a point is grabbed within this many screen px
const MIN_DRAG_CSS = 4; // shorter drags are clicks (a box or arrow is not made)

/** Pointer and keyboard input of one view. `view` gives: model, store, stage, root, toImage(e), onPixel(p),
 * imagePerCss(), maxBrush(), paint(rect), drawVectors(), refresh(). */
export class DrawingTools {
	constructor(view) {
		this.view = view;
		this.work = null; // the drawing being edited by the current gesture
		this.gesture = null;
		this.pendingHandle = null; // a clicked handle waiting for its target
		this.hover = null;
		this.notice = ""; // a one-off message (e.g. the point cap was reached), cleared by the next gesture
		const { stage, root } = view;
		this.listeners = [
			[stage, "pointerdown", (e) => this.down(e)],
			[stage, "pointermove", (e) => this.move(e)],
			[stage, "pointerup", (e) => this.up(e)],
			[stage, "pointercancel", (e) => this.cancel(e)],
			[stage, "pointerleave", () => {
				this.hover = null;
				view.drawVectors();
			}],
			[stage, "contextmenu", (e) => e.preventDefault()],
			[root, "keydown", (e) => this.key(e)],
		];
		for (const [target, type, fn] of this.listeners) target.addEventListener(type, fn);
	}

	/** The drawing to show: the gesture's copy while one is in progress. */
	shown() {
		return this.work || this.view.store.current;
	}

	/** What the vector layer draws besides the drawing. */
	scene() {
		const { model } = this.view;
		const brushy = BRUSH_TOOLS.includes(model.get("tool"));
		return {
			snap: this.shown(),
			gesture: this.gesture,
			pendingHandle: this.pendingHandle,
			hover: this.hover,
			brushRadius: brushy ? model.get("brush_size") / 2 : null,
		};
	}

	forgetPendingHandle() {
		this.pendingHandle = null;
	}

	nearestPoint(p) {
		const tol = HIT_RADIUS_CSS * this.view.imagePerCss();
		let best = null;
		this.view.store.current.points.forEach((pair, i) => {
			for (const j of [0, 1]) {
				const d = Math.hypot(pair[j][0] - p[0], pair[j][1] - p[1]);
				if (d <= tol && (!best || d < best.d)) best = { i, j, d };
			}
		});
		return best;
	}

	stroke(from, to) {
		const { model, store } = this.view;
		this.view.paint(strokeSegment(this.work, store.size, model.get("tool"), model.get("brush_size"), from, to));
	}

	down(e) {
		const { view } = this;
		if (e.button !== undefined && e.button !== 0) return;
		if (!view.store.size[0]) return;
		view.root.focus({ preventScroll: true });
		try {
			view.stage.setPointerCapture(e.pointerId);
		} catch {
			// synthetic or already-released pointer: capture is an optimisation only
		}
		e.preventDefault();
		this.notice = "";
		const p = view.toImage(e);
		const tool = view.model.get("tool");
		this.work = cloneSnapshot(view.store.current);
		if (BRUSH_TOOLS.includes(tool)) {
			this.gesture = { kind: "stroke", last: p, id: e.pointerId };
			this.stroke(p, p);
		} else if (tool === "box") {
			this.gesture = { kind: "box", start: p, end: p, id: e.pointerId };
		} else if (tool === "arrow") {
			this.gesture = { kind: "arrow", start: view.onPixel(p), end: view.onPixel(p), id: e.pointerId };
		} else if (tool === "points") {
			const hit = this.pendingHandle ? null : this.nearestPoint(p);
			const q = view.onPixel(p);
			if (hit) this.gesture = { kind: "movepoint", hit, id: e.pointerId };
			else this.gesture = { kind: "pair", start: this.pendingHandle || q, end: q, down: p, id: e.pointerId, fromPending: Boolean(this.pendingHandle) };
		} else {
			this.gesture = null;
			this.work = null;
		}
		view.drawVectors();
	}

	move(e) {
		const { view, gesture } = this;
		const p = view.toImage(e);
		this.hover = p;
		if (!gesture || gesture.id !== e.pointerId) {
			view.drawVectors();
			return;
		}
		const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
		if (gesture.kind === "stroke") {
			for (const ev of events.length ? events : [e]) {
				const q = view.toImage(ev);
				this.stroke(gesture.last, q);
				gesture.last = q;
			}
		} else if (gesture.kind === "movepoint") {
			const { i, j } = gesture.hit;
			this.work.points[i][j] = view.onPixel(p);
		} else {
			gesture.end = gesture.kind === "box" ? p : view.onPixel(p);
		}
		view.drawVectors();
	}

	up(e) {
		const { view, work } = this;
		const g = this.gesture;
		if (!g || g.id !== e.pointerId) return;
		this.gesture = null;
		const { model, store } = view;
		const p = view.toImage(e);
		const minDrag = MIN_DRAG_CSS * view.imagePerCss();
		if (g.kind === "stroke" || g.kind === "movepoint") {
			store.commit(work);
		} else if (g.kind === "box") {
			const b = [Math.min(g.start[0], p[0]), Math.min(g.start[1], p[1]), Math.max(g.start[0], p[0]), Math.max(g.start[1], p[1])];
			if (b[2] - b[0] >= minDrag && b[3] - b[1] >= minDrag) {
				if (work.boxes.length >= model.get("max_boxes")) {
					this.notice = `At most ${model.get("max_boxes")} boxes: clear some first.`;
				} else {
					work.boxes.push(b);
					store.commit(work);
				}
			}
		} else if (g.kind === "arrow") {
			const end = view.onPixel(p);
			if (Math.hypot(end[0] - g.start[0], end[1] - g.start[1]) >= minDrag) {
				work.arrow = [g.start, end];
				store.commit(work);
			}
		} else if (g.kind === "pair") {
			const dragged = Math.hypot(p[0] - g.down[0], p[1] - g.down[1]) >= minDrag;
			if (work.points.length >= model.get("max_points")) {
				this.pendingHandle = null;
				this.notice = `At most ${model.get("max_points")} point pairs: remove some first.`;
			} else if (g.fromPending || dragged) {
				work.points.push([g.start, view.onPixel(p)]);
				this.pendingHandle = null;
				store.commit(work);
			} else {
				this.pendingHandle = view.onPixel(p);
			}
		}
		this.work = null;
		view.refresh();
	}

	cancel(e) {
		if (!this.gesture || this.gesture.id !== e.pointerId) return;
		this.gesture = null;
		this.work = null;
		this.view.refresh();
	}

	key(e) {
		const { model, store } = this.view;
		const mod = e.ctrlKey || e.metaKey;
		const key = e.key.toLowerCase();
		let handled = true;
		if (mod && key === "z" && !e.shiftKey) store.undo();
		else if (mod && ((key === "z" && e.shiftKey) || key === "y")) store.redo();
		else if (!mod && e.key === "[") model.set("brush_size", Math.max(1, model.get("brush_size") - 1));
		else if (!mod && e.key === "]") model.set("brush_size", Math.min(this.view.maxBrush(), model.get("brush_size") + 1));
		else if (e.key === "Escape" && this.pendingHandle) this.pendingHandle = null;
		else handled = false;
		if (handled) {
			e.preventDefault();
			e.stopPropagation();
			if (e.key === "[" || e.key === "]") model.save_changes();
			this.view.refresh();
		}
	}

	dispose() {
		for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
	}
}
