// The canvas's model-level state, made once per widget model in anywidget's initialize({ model }): the committed
// drawing (mask, region, points, boxes, arrow), the undo/redo history and the views that show it. Every view of
// the model (another output of the same widget, a re-rendered cell) shares one store, so undo works across them.
import { asBytes, equalBytes, toDataView } from "../_util.js";

const HISTORY_LIMIT = 40;
const DRAWING_TRAITS = ["mask_data", "region_data", "points", "boxes", "arrow"];
const stores = new WeakMap();

const copy = (v) => JSON.parse(JSON.stringify(v));
const json = (v) => JSON.stringify(v);

/** The drawing as the model holds it now (private copies). */
export function readSnapshot(model) {
	return {
		mask: asBytes(model.get("mask_data")).slice(),
		region: asBytes(model.get("region_data")).slice(),
		points: copy(model.get("points") || []),
		boxes: copy(model.get("boxes") || []),
		arrow: model.get("arrow") ? copy(model.get("arrow")) : null,
	};
}

export function sameSnapshot(a, b) {
	return (
		equalBytes(a.mask, b.mask) &&
		equalBytes(a.region, b.region) &&
		json(a.points) === json(b.points) &&
		json(a.boxes) === json(b.boxes) &&
		json(a.arrow) === json(b.arrow)
	);
}

export function cloneSnapshot(s) {
	return {
		mask: s.mask.slice(),
		region: s.region.slice(),
		points: copy(s.points),
		boxes: copy(s.boxes),
		arrow: s.arrow ? copy(s.arrow) : null,
	};
}

/** Whether `after` is `before` with one box appended. */
function addsOneBox(before, after) {
	return after.boxes.length === before.boxes.length + 1 && json(after.boxes.slice(0, -1)) === json(before.boxes);
}

/** Whether `after` differs from `before` in the mask only. */
function onlyMaskDiffers(before, after) {
	return (
		!equalBytes(before.mask, after.mask) &&
		equalBytes(before.region, after.region) &&
		json(before.points) === json(after.points) &&
		json(before.boxes) === json(after.boxes) &&
		json(before.arrow) === json(after.arrow)
	);
}

export class CanvasStore {
	constructor(model) {
		this.model = model;
		this.size = [model.get("width"), model.get("height")];
		this.current = readSnapshot(model);
		this.undoStack = [];
		this.redoStack = [];
		this.views = new Set();
		this.pending = false;
		// With box → mask on (Python's `box_masking`), a new box is followed by the mask of its object, computed in
		// Python: these boxes (as JSON) wait for that mask, which then joins the box's undo step.
		this.boxAwaitingMask = null;
		this.schedule = () => {
			if (this.pending) return;
			this.pending = true;
			queueMicrotask(() => {
				this.pending = false;
				this.reconcile();
			});
		};
		this.events = [...DRAWING_TRAITS, "width", "height"].map((k) => `change:${k}`);
		for (const e of this.events) model.on(e, this.schedule);
	}

	get canUndo() {
		return this.undoStack.length > 0;
	}

	get canRedo() {
		return this.redoStack.length > 0;
	}

	/** A blank drawing of the image's size. */
	empty() {
		const [w, hgt] = this.size;
		return { mask: new Uint8Array(w * hgt), region: new Uint8Array(w * hgt), points: [], boxes: [], arrow: null };
	}

	_push(snap) {
		this.undoStack.push(cloneSnapshot(snap));
		if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
	}

	_awaitMaskIfBoxAdded(before, after) {
		this.boxAwaitingMask = addsOneBox(before, after) && this.model.get("box_masking") ? json(after.boxes) : null;
	}

	/** Make `snap` the committed drawing and send what changed to Python in one update. `record`: a new undo step
	 * (undo and redo move along the history instead). */
	commit(snap, { record = true } = {}) {
		if (sameSnapshot(snap, this.current)) return;
		if (record) {
			this._push(this.current);
			this.redoStack = [];
			this._awaitMaskIfBoxAdded(this.current, snap);
		} else {
			this.boxAwaitingMask = null;
		}
		const prev = this.current;
		this.current = cloneSnapshot(snap);
		const m = this.model;
		if (!equalBytes(prev.mask, snap.mask)) m.set("mask_data", toDataView(snap.mask));
		if (!equalBytes(prev.region, snap.region)) m.set("region_data", toDataView(snap.region));
		if (json(prev.points) !== json(snap.points)) m.set("points", snap.points);
		if (json(prev.boxes) !== json(snap.boxes)) m.set("boxes", snap.boxes);
		if (json(prev.arrow) !== json(snap.arrow)) m.set("arrow", snap.arrow);
		m.save_changes();
		this.refreshViews();
	}

	undo() {
		if (!this.undoStack.length) return;
		const target = this.undoStack.pop();
		this.redoStack.push(cloneSnapshot(this.current));
		this.commit(target, { record: false });
		this.refreshViews();
	}

	redo() {
		if (!this.redoStack.length) return;
		const target = this.redoStack.pop();
		this._push(this.current);
		this.commit(target, { record: false });
		this.refreshViews();
	}

	/** Fold a change that came from Python (or another view) into the history: a new undo step, except the mask
	 * Python adds for a new box, which belongs to the box's step; a new image size starts a new history. */
	reconcile() {
		const size = [this.model.get("width"), this.model.get("height")];
		const snap = readSnapshot(this.model);
		if (size[0] !== this.size[0] || size[1] !== this.size[1]) {
			this.size = size;
			this.undoStack = [];
			this.redoStack = [];
			this.current = snap;
			this.boxAwaitingMask = null;
		} else if (!sameSnapshot(snap, this.current)) {
			if (this.boxAwaitingMask === json(snap.boxes) && onlyMaskDiffers(this.current, snap)) {
				this.boxAwaitingMask = null;
			} else {
				this._push(this.current);
				this.redoStack = [];
				this._awaitMaskIfBoxAdded(this.current, snap);
			}
			this.current = snap;
		}
		this.refreshViews();
	}

	attach(view) {
		this.views.add(view);
	}

	detach(view) {
		this.views.delete(view);
	}

	refreshViews() {
		for (const v of this.views) v.refresh();
	}

	dispose() {
		for (const e of this.events) this.model.off(e, this.schedule);
		this.views.clear();
		stores.delete(this.model);
	}
}

/** The model's store: made by initialize({ model }); made here if a host rendered without initializing. */
export function storeOf(model) {
	let store = stores.get(model);
	if (!store) {
		store = new CanvasStore(model);
		stores.set(model, store);
	}
	return store;
}
