// DragCanvas front end: draw a mask, boxes, an arrow and handle→target point pairs on an image.
// All pointer interaction happens here; the model is updated once per finished stroke/gesture.
import { asBytes, decodeImage, ensureStyle, equalBytes, h, toDataView } from "./_util.js";
import { css } from "./_style.js";

const TOOL_LABELS = {
	brush: ["Brush", "Paint the mask"],
	eraser: ["Eraser", "Erase the mask and the reference region"],
	box: ["Box", "Drag a box around an object"],
	arrow: ["Arrow", "Drag from where the object is to where it should go"],
	points: ["Points", "Click a handle, then its target (or drag from handle to target); drag a point to move it"],
	region: ["Region", "Paint the optional reference region"],
};
const HISTORY_LIMIT = 40;
const HIT_RADIUS_CSS = 10;
const MASK_RGBA = [255, 40, 90];
const REGION_RGBA = [40, 140, 255];

/** Per-model shared state: committed snapshot, undo/redo stacks and the live views. */
const stores = new WeakMap();

function readSnapshot(model) {
	return {
		mask: asBytes(model.get("mask_data")).slice(),
		region: asBytes(model.get("region_data")).slice(),
		points: JSON.parse(JSON.stringify(model.get("points") || [])),
		boxes: JSON.parse(JSON.stringify(model.get("boxes") || [])),
		arrow: model.get("arrow") ? JSON.parse(JSON.stringify(model.get("arrow"))) : null,
	};
}

function sameSnapshot(a, b) {
	return (
		equalBytes(a.mask, b.mask) &&
		equalBytes(a.region, b.region) &&
		JSON.stringify(a.points) === JSON.stringify(b.points) &&
		JSON.stringify(a.boxes) === JSON.stringify(b.boxes) &&
		JSON.stringify(a.arrow) === JSON.stringify(b.arrow)
	);
}

function cloneSnapshot(s) {
	return {
		mask: s.mask.slice(),
		region: s.region.slice(),
		points: JSON.parse(JSON.stringify(s.points)),
		boxes: JSON.parse(JSON.stringify(s.boxes)),
		arrow: s.arrow ? JSON.parse(JSON.stringify(s.arrow)) : null,
	};
}

function getStore(model) {
	let store = stores.get(model);
	if (store) return store;
	store = {
		model,
		current: readSnapshot(model),
		undo: [],
		redo: [],
		views: new Set(),
		pending: false,
		size: [model.get("width"), model.get("height")],
	};
	stores.set(model, store);
	const schedule = () => {
		if (store.pending) return;
		store.pending = true;
		queueMicrotask(() => {
			store.pending = false;
			reconcile(store);
		});
	};
	model.on("change:mask_data", schedule);
	model.on("change:region_data", schedule);
	model.on("change:points", schedule);
	model.on("change:boxes", schedule);
	model.on("change:arrow", schedule);
	model.on("change:width", schedule);
	model.on("change:height", schedule);
	return store;
}

/** Fold a change that came from Python (or another view) into the history. */
function reconcile(store) {
	const size = [store.model.get("width"), store.model.get("height")];
	const snap = readSnapshot(store.model);
	if (size[0] !== store.size[0] || size[1] !== store.size[1]) {
		store.size = size;
		store.undo = [];
		store.redo = [];
		store.current = snap;
	} else if (!sameSnapshot(snap, store.current)) {
		pushUndo(store, store.current);
		store.redo = [];
		store.current = snap;
	}
	for (const v of store.views) v.refresh();
}

function pushUndo(store, snap) {
	store.undo.push(cloneSnapshot(snap));
	if (store.undo.length > HISTORY_LIMIT) store.undo.shift();
}

/** Make `snap` the committed state and send it to Python in one update. */
function commit(store, snap, { record = true } = {}) {
	if (sameSnapshot(snap, store.current)) return;
	if (record) {
		pushUndo(store, store.current);
		store.redo = [];
	}
	const prev = store.current;
	store.current = cloneSnapshot(snap);
	const m = store.model;
	if (!equalBytes(prev.mask, snap.mask)) m.set("mask_data", toDataView(snap.mask));
	if (!equalBytes(prev.region, snap.region)) m.set("region_data", toDataView(snap.region));
	if (JSON.stringify(prev.points) !== JSON.stringify(snap.points)) m.set("points", snap.points);
	if (JSON.stringify(prev.boxes) !== JSON.stringify(snap.boxes)) m.set("boxes", snap.boxes);
	if (JSON.stringify(prev.arrow) !== JSON.stringify(snap.arrow)) m.set("arrow", snap.arrow);
	m.save_changes();
	for (const v of store.views) v.refresh();
}

function undo(store) {
	if (!store.undo.length) return;
	const target = store.undo.pop();
	store.redo.push(cloneSnapshot(store.current));
	commit(store, target, { record: false });
	for (const v of store.views) v.refresh();
}

function redo(store) {
	if (!store.redo.length) return;
	const target = store.redo.pop();
	pushUndo(store, store.current);
	commit(store, target, { record: false });
	for (const v of store.views) v.refresh();
}

function emptySnapshot(store) {
	const [w, hgt] = store.size;
	return { mask: new Uint8Array(w * hgt), region: new Uint8Array(w * hgt), points: [], boxes: [], arrow: null };
}

/** Stamp a filled disk of radius r (image px) centred at (cx, cy) into a W×H layer. */
function stamp(layer, w, hgt, cx, cy, r, value) {
	const x0 = Math.max(0, Math.floor(cx - r));
	const x1 = Math.min(w - 1, Math.ceil(cx + r));
	const y0 = Math.max(0, Math.floor(cy - r));
	const y1 = Math.min(hgt - 1, Math.ceil(cy + r));
	const r2 = r * r;
	for (let y = y0; y <= y1; y++) {
		const dy = y + 0.5 - cy;
		for (let x = x0; x <= x1; x++) {
			const dx = x + 0.5 - cx;
			if (dx * dx + dy * dy <= r2) layer[y * w + x] = value;
		}
	}
	return [x0, y0, x1, y1];
}

const round2 = (v) => Math.round(v * 100) / 100;

function render({ model, el }) {
	ensureStyle("dragon-widgets-style", css);
	const store = getStore(model);

	const root = h("div", "dw-root dw-canvas", { tabIndex: 0 });
	root.dataset.lmSuppressShortcuts = "true";
	const toolbar = h("div", "dw-toolbar");
	const stage = h("div", "dw-stage");
	const base = h("canvas", "dw-base");
	const vec = h("canvas", "dw-vec");
	const status = h("div", "dw-status");
	const dropHint = h("div", "dw-drop-hint", { textContent: "Drop the image to edit it" });
	stage.append(base, vec, dropHint);
	const footer = h("div", "dw-footer"); // status line, and Open image… (not in the toolbar: its width must not change)
	footer.append(status);
	root.append(toolbar, stage, footer);
	el.appendChild(root);

	const overlay = document.createElement("canvas"); // mask + region colours at image resolution
	let bitmap = null;
	let work = null; // snapshot being edited by the current gesture
	let gesture = null;
	let pendingHandle = null;
	let hover = null;
	let notice = ""; // a one-off message (e.g. the point cap was reached), cleared by the next gesture
	let disposed = false;

	// ---------- toolbar ----------
	const toolButtons = {};
	const undoBtn = h("button", "dw-undo", { textContent: "↶ Undo", title: "Undo (Ctrl+Z)" });
	const redoBtn = h("button", "dw-redo", { textContent: "↷ Redo", title: "Redo (Ctrl+Shift+Z)" });
	const clearBtn = h("button", "dw-clear", { textContent: "Clear", title: "Clear mask, region, boxes, arrow and points" });
	const sizeInput = h("input", "dw-size", { type: "range", min: 1, max: 64, step: 1 });
	const sizeLabel = h("label", "", { title: "Brush size (image pixels); [ and ] change it" });
	const sizeValue = h("span");
	sizeLabel.append("Size", sizeInput, sizeValue);
	const opacityInput = h("input", "dw-opacity", { type: "range", min: 0, max: 1, step: 0.05 });
	const opacityLabel = h("label", "", { title: "Mask overlay opacity" });
	opacityLabel.append("Overlay", opacityInput);
	const openBtn = h("button", "dw-open", { textContent: "Open image…", title: "Edit your own image (or drop / paste one on the canvas)" });
	const fileInput = h("input", "dw-file", { type: "file", accept: "image/*" });
	fileInput.style.display = "none";
	root.appendChild(fileInput);

	function buildToolbar() {
		toolbar.replaceChildren();
		for (const k of Object.keys(toolButtons)) delete toolButtons[k];
		for (const tool of model.get("tools") || []) {
			const [label, tip] = TOOL_LABELS[tool] || [tool, tool];
			const b = h("button", `dw-tool dw-tool-${tool}`, { textContent: label, title: tip });
			b.dataset.tool = tool;
			b.addEventListener("click", () => {
				model.set("tool", tool);
				model.save_changes();
			});
			toolButtons[tool] = b;
			toolbar.appendChild(b);
		}
		toolbar.append(h("span", "dw-sep"), undoBtn, redoBtn, clearBtn, sizeLabel, opacityLabel);
		if (model.get("accept_files")) footer.append(openBtn);
		else openBtn.remove();
		syncToolbar();
	}

	function syncToolbar() {
		const tool = model.get("tool");
		for (const [name, b] of Object.entries(toolButtons)) b.classList.toggle("dw-active", name === tool);
		undoBtn.disabled = store.undo.length === 0;
		redoBtn.disabled = store.redo.length === 0;
		const [w, hgt] = store.size;
		sizeInput.max = String(Math.min(maxBrush(), Math.max(8, Math.round(Math.max(w, hgt) / 4))));
		sizeInput.value = String(model.get("brush_size"));
		sizeValue.textContent = String(model.get("brush_size"));
		opacityInput.value = String(model.get("overlay_opacity"));
		const brushy = ["brush", "eraser", "region"].includes(tool);
		sizeLabel.style.visibility = brushy ? "" : "hidden"; // keeps its place: the stage below never jumps
	}

	undoBtn.addEventListener("click", () => undo(store));
	redoBtn.addEventListener("click", () => redo(store));
	clearBtn.addEventListener("click", () => {
		pendingHandle = null;
		commit(store, emptySnapshot(store));
	});
	sizeInput.addEventListener("input", () => {
		model.set("brush_size", Number(sizeInput.value));
		sizeValue.textContent = sizeInput.value;
	});
	sizeInput.addEventListener("change", () => model.save_changes());
	opacityInput.addEventListener("input", () => {
		model.set("overlay_opacity", Number(opacityInput.value));
		drawBase();
	});
	opacityInput.addEventListener("change", () => model.save_changes());

	// ---------- geometry ----------
	function layout() {
		const [w, hgt] = store.size;
		let dw = model.get("display_width");
		if (!dw) {
			const longest = Math.max(w, hgt, 1);
			dw = longest < 512 ? w * Math.max(1, Math.floor(512 / longest)) : Math.min(w, 768 * (w / longest));
		}
		stage.style.width = `${dw}px`;
		stage.style.aspectRatio = `${w} / ${hgt}`;
		base.width = w;
		base.height = hgt;
		overlay.width = w;
		overlay.height = hgt;
		resizeVec();
	}

	function resizeVec() {
		const rect = stage.getBoundingClientRect();
		const dpr = window.devicePixelRatio || 1;
		const cw = Math.max(1, Math.round(rect.width * dpr));
		const ch = Math.max(1, Math.round(rect.height * dpr));
		if (vec.width !== cw || vec.height !== ch) {
			vec.width = cw;
			vec.height = ch;
		}
		drawVectors();
	}

	/** Pointer event → image coordinates, clamped to the image's edges (0..w: box corners, brush centres). */
	function toImage(e) {
		const rect = stage.getBoundingClientRect();
		const [w, hgt] = store.size;
		const x = ((e.clientX - rect.left) / Math.max(rect.width, 1)) * w;
		const y = ((e.clientY - rect.top) / Math.max(rect.height, 1)) * hgt;
		return [round2(Math.min(Math.max(x, 0), w)), round2(Math.min(Math.max(y, 0), hgt))];
	}

	/** A position on a pixel (point handles/targets, arrow ends): clamped to the last pixel, 0..w-1 — the range
	 * the engine accepts (Python clamps the same way). */
	function onPixel(p) {
		const [w, hgt] = store.size;
		return [Math.min(p[0], Math.max(w - 1, 0)), Math.min(p[1], Math.max(hgt - 1, 0))];
	}

	/** Largest brush: the image's longest side (Python refuses larger). */
	function maxBrush() {
		return Math.max(1, store.size[0], store.size[1]);
	}

	/** Image px per CSS px (for hit-testing in screen units). */
	function imagePerCss() {
		const rect = stage.getBoundingClientRect();
		return store.size[0] / Math.max(rect.width, 1);
	}

	// ---------- drawing ----------
	function layers() {
		return work || store.current;
	}

	function paintOverlay(rect) {
		const [w, hgt] = store.size;
		if (!w || !hgt) return;
		const ctx = overlay.getContext("2d");
		const [x0, y0, x1, y1] = rect || [0, 0, w - 1, hgt - 1];
		const rw = x1 - x0 + 1;
		const rh = y1 - y0 + 1;
		if (rw <= 0 || rh <= 0) return;
		const img = ctx.createImageData(rw, rh);
		const { mask, region } = layers();
		for (let y = 0; y < rh; y++) {
			for (let x = 0; x < rw; x++) {
				const i = (y0 + y) * w + (x0 + x);
				const o = (y * rw + x) * 4;
				const c = mask[i] ? MASK_RGBA : region[i] ? REGION_RGBA : null;
				if (c) {
					img.data[o] = c[0];
					img.data[o + 1] = c[1];
					img.data[o + 2] = c[2];
					img.data[o + 3] = 255;
				}
			}
		}
		ctx.putImageData(img, x0, y0);
	}

	function drawBase() {
		const [w, hgt] = store.size;
		const ctx = base.getContext("2d");
		ctx.clearRect(0, 0, w, hgt);
		if (bitmap) ctx.drawImage(bitmap, 0, 0, w, hgt);
		ctx.globalAlpha = Number(model.get("overlay_opacity"));
		ctx.drawImage(overlay, 0, 0);
		ctx.globalAlpha = 1;
	}

	function drawArrowShape(ctx, a, b, color, width) {
		const [ax, ay] = a;
		const [bx, by] = b;
		const ang = Math.atan2(by - ay, bx - ax);
		const head = Math.max(8, width * 3.5);
		ctx.strokeStyle = color;
		ctx.fillStyle = color;
		ctx.lineWidth = width;
		ctx.beginPath();
		ctx.moveTo(ax, ay);
		ctx.lineTo(bx - Math.cos(ang) * head * 0.8, by - Math.sin(ang) * head * 0.8);
		ctx.stroke();
		ctx.beginPath();
		ctx.moveTo(bx, by);
		ctx.lineTo(bx - head * Math.cos(ang - 0.4), by - head * Math.sin(ang - 0.4));
		ctx.lineTo(bx - head * Math.cos(ang + 0.4), by - head * Math.sin(ang + 0.4));
		ctx.closePath();
		ctx.fill();
	}

	function dot(ctx, p, r, fill) {
		ctx.beginPath();
		ctx.arc(p[0], p[1], r, 0, Math.PI * 2);
		ctx.fillStyle = fill;
		ctx.fill();
		ctx.lineWidth = 2;
		ctx.strokeStyle = "#fff";
		ctx.stroke();
	}

	function drawVectors() {
		const ctx = vec.getContext("2d");
		ctx.setTransform(1, 0, 0, 1, 0, 0);
		ctx.clearRect(0, 0, vec.width, vec.height);
		const [w, hgt] = store.size;
		if (!w || !hgt) return;
		const sx = vec.width / w;
		const sy = vec.height / hgt;
		const dpr = window.devicePixelRatio || 1;
		const S = (p) => [p[0] * sx, p[1] * sy];
		const snap = layers();
		const lw = 2 * dpr;
		// boxes
		snap.boxes.forEach((b, i) => {
			const last = i === snap.boxes.length - 1;
			ctx.setLineDash(last ? [] : [6 * dpr, 4 * dpr]);
			ctx.lineWidth = lw;
			ctx.strokeStyle = "#ffd400";
			ctx.strokeRect(b[0] * sx, b[1] * sy, (b[2] - b[0]) * sx, (b[3] - b[1]) * sy);
		});
		ctx.setLineDash([]);
		if (gesture && gesture.kind === "box") {
			const [a, b] = [gesture.start, gesture.end];
			ctx.lineWidth = lw;
			ctx.strokeStyle = "#ffd400";
			ctx.strokeRect(a[0] * sx, a[1] * sy, (b[0] - a[0]) * sx, (b[1] - a[1]) * sy);
		}
		// arrow
		const arrow = gesture && gesture.kind === "arrow" ? [gesture.start, gesture.end] : snap.arrow;
		if (arrow) drawArrowShape(ctx, S(arrow[0]), S(arrow[1]), "#00e5ff", 3 * dpr);
		// point pairs
		const r = 6 * dpr;
		ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`;
		// the arrow stops at the target dot's edge so its head stays visible
		const short = (a, b) => {
			const d = Math.hypot(b[0] - a[0], b[1] - a[1]);
			return d > 2.5 * r ? [b[0] - ((b[0] - a[0]) / d) * r, b[1] - ((b[1] - a[1]) / d) * r] : b;
		};
		snap.points.forEach((pair, i) => {
			const a = S(pair[0]);
			const b = S(pair[1]);
			drawArrowShape(ctx, a, short(a, b), "rgba(255,255,255,0.9)", 2 * dpr);
			dot(ctx, a, r, "#e8283c");
			dot(ctx, b, r, "#2f6fd0");
			ctx.fillStyle = "#fff";
			ctx.strokeStyle = "#000";
			ctx.lineWidth = 3 * dpr;
			ctx.strokeText(String(i + 1), a[0] + r + 2, a[1] - r);
			ctx.fillText(String(i + 1), a[0] + r + 2, a[1] - r);
		});
		if (gesture && gesture.kind === "pair") {
			drawArrowShape(ctx, S(gesture.start), short(S(gesture.start), S(gesture.end)), "rgba(255,255,255,0.9)", 2 * dpr);
			dot(ctx, S(gesture.start), r, "#e8283c");
			dot(ctx, S(gesture.end), r, "#2f6fd0");
		}
		if (pendingHandle) dot(ctx, S(pendingHandle), r, "#e8283c");
		// brush cursor
		const tool = model.get("tool");
		if (hover && ["brush", "eraser", "region"].includes(tool)) {
			const rad = (model.get("brush_size") / 2) * sx;
			ctx.beginPath();
			ctx.arc(hover[0] * sx, hover[1] * sy, Math.max(rad, 1), 0, Math.PI * 2);
			ctx.lineWidth = dpr;
			ctx.strokeStyle = "#fff";
			ctx.stroke();
			ctx.setLineDash([3 * dpr, 3 * dpr]);
			ctx.strokeStyle = "#000";
			ctx.stroke();
			ctx.setLineDash([]);
		}
	}

	function setStatus() {
		const err = model.get("error");
		status.classList.toggle("dw-error", Boolean(err));
		if (err) {
			status.textContent = err;
			return;
		}
		if (notice) {
			status.textContent = notice;
			return;
		}
		const s = store.current;
		let painted = 0;
		for (const v of s.mask) painted += v ? 1 : 0;
		const parts = [`${store.size[0]}×${store.size[1]} px`, `mask ${painted} px`];
		if (s.points.length) parts.push(`${s.points.length} point pair${s.points.length > 1 ? "s" : ""}`);
		if (s.boxes.length) parts.push(`${s.boxes.length} box${s.boxes.length > 1 ? "es" : ""}`);
		if (s.arrow) parts.push(`arrow (${round2(s.arrow[1][0] - s.arrow[0][0])}, ${round2(s.arrow[1][1] - s.arrow[0][1])})`);
		if (pendingHandle) parts.push("click the target of the new handle");
		status.textContent = parts.join(" · ");
	}

	function refresh() {
		if (disposed) return;
		const [w, hgt] = [model.get("width"), model.get("height")];
		if (base.width !== w || base.height !== hgt) layout();
		paintOverlay();
		drawBase();
		drawVectors();
		syncToolbar();
		setStatus();
	}

	// ---------- gestures ----------
	function brushStep(from, to) {
		const [w, hgt] = store.size;
		const tool = model.get("tool");
		const r = Math.max(0.5, model.get("brush_size") / 2);
		const dist = Math.hypot(to[0] - from[0], to[1] - from[1]);
		const n = Math.max(1, Math.ceil(dist / Math.max(r * 0.5, 0.5)));
		let box = null;
		for (let k = 0; k <= n; k++) {
			const t = k / n;
			const cx = from[0] + (to[0] - from[0]) * t;
			const cy = from[1] + (to[1] - from[1]) * t;
			let rect;
			if (tool === "eraser") {
				rect = stamp(work.mask, w, hgt, cx, cy, r, 0);
				stamp(work.region, w, hgt, cx, cy, r, 0);
			} else {
				rect = stamp(tool === "region" ? work.region : work.mask, w, hgt, cx, cy, r, 1);
			}
			box = box ? [Math.min(box[0], rect[0]), Math.min(box[1], rect[1]), Math.max(box[2], rect[2]), Math.max(box[3], rect[3])] : rect;
		}
		paintOverlay(box);
		drawBase();
	}

	function nearestPoint(p) {
		const tol = HIT_RADIUS_CSS * imagePerCss();
		let best = null;
		store.current.points.forEach((pair, i) => {
			for (const j of [0, 1]) {
				const d = Math.hypot(pair[j][0] - p[0], pair[j][1] - p[1]);
				if (d <= tol && (!best || d < best.d)) best = { i, j, d };
			}
		});
		return best;
	}

	function onPointerDown(e) {
		if (e.button !== undefined && e.button !== 0) return;
		if (!store.size[0]) return;
		root.focus({ preventScroll: true });
		try {
			stage.setPointerCapture(e.pointerId);
		} catch {
			// synthetic or already-released pointer: capture is an optimisation only
		}
		e.preventDefault();
		notice = "";
		const p = toImage(e);
		const tool = model.get("tool");
		work = cloneSnapshot(store.current);
		if (["brush", "eraser", "region"].includes(tool)) {
			gesture = { kind: "stroke", last: p, id: e.pointerId };
			brushStep(p, p);
		} else if (tool === "box") {
			gesture = { kind: "box", start: p, end: p, id: e.pointerId };
		} else if (tool === "arrow") {
			gesture = { kind: "arrow", start: onPixel(p), end: onPixel(p), id: e.pointerId };
		} else if (tool === "points") {
			const hit = pendingHandle ? null : nearestPoint(p);
			const q = onPixel(p);
			if (hit) gesture = { kind: "movepoint", hit, id: e.pointerId };
			else gesture = { kind: "pair", start: pendingHandle || q, end: q, down: p, id: e.pointerId, fromPending: Boolean(pendingHandle) };
		} else {
			gesture = null;
			work = null;
		}
		drawVectors();
	}

	function onPointerMove(e) {
		const p = toImage(e);
		hover = p;
		if (!gesture || gesture.id !== e.pointerId) {
			drawVectors();
			return;
		}
		const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
		if (gesture.kind === "stroke") {
			for (const ev of events.length ? events : [e]) {
				const q = toImage(ev);
				brushStep(gesture.last, q);
				gesture.last = q;
			}
		} else if (gesture.kind === "movepoint") {
			const { i, j } = gesture.hit;
			work.points[i][j] = onPixel(p);
		} else {
			gesture.end = gesture.kind === "box" ? p : onPixel(p);
		}
		drawVectors();
	}

	function onPointerUp(e) {
		if (!gesture || gesture.id !== e.pointerId) return;
		const g = gesture;
		gesture = null;
		const p = toImage(e);
		const minDrag = 4 * imagePerCss();
		if (g.kind === "stroke") {
			commit(store, work);
		} else if (g.kind === "box") {
			const b = [Math.min(g.start[0], p[0]), Math.min(g.start[1], p[1]), Math.max(g.start[0], p[0]), Math.max(g.start[1], p[1])];
			if (b[2] - b[0] >= minDrag && b[3] - b[1] >= minDrag) {
				if (work.boxes.length >= model.get("max_boxes")) {
					notice = `At most ${model.get("max_boxes")} boxes: clear some first.`;
				} else {
					work.boxes.push(b);
					commit(store, work);
				}
			}
		} else if (g.kind === "arrow") {
			const end = onPixel(p);
			if (Math.hypot(end[0] - g.start[0], end[1] - g.start[1]) >= minDrag) {
				work.arrow = [g.start, end];
				commit(store, work);
			}
		} else if (g.kind === "movepoint") {
			commit(store, work);
		} else if (g.kind === "pair") {
			const dragged = Math.hypot(p[0] - g.down[0], p[1] - g.down[1]) >= minDrag;
			if (work.points.length >= model.get("max_points")) {
				pendingHandle = null;
				notice = `At most ${model.get("max_points")} point pairs: remove some first.`;
			} else if (g.fromPending || dragged) {
				work.points.push([g.start, onPixel(p)]);
				pendingHandle = null;
				commit(store, work);
			} else {
				pendingHandle = onPixel(p);
			}
		}
		work = null;
		refresh();
	}

	function onPointerCancel(e) {
		if (!gesture || gesture.id !== e.pointerId) return;
		gesture = null;
		work = null;
		refresh();
	}

	function onKeyDown(e) {
		const mod = e.ctrlKey || e.metaKey;
		const key = e.key.toLowerCase();
		let handled = true;
		if (mod && key === "z" && !e.shiftKey) undo(store);
		else if (mod && ((key === "z" && e.shiftKey) || key === "y")) redo(store);
		else if (!mod && e.key === "[") model.set("brush_size", Math.max(1, model.get("brush_size") - 1));
		else if (!mod && e.key === "]") model.set("brush_size", Math.min(maxBrush(), model.get("brush_size") + 1));
		else if (e.key === "Escape" && pendingHandle) pendingHandle = null;
		else handled = false;
		if (handled) {
			e.preventDefault();
			e.stopPropagation();
			if (e.key === "[" || e.key === "]") model.save_changes();
			refresh();
		}
	}

	stage.addEventListener("pointerdown", onPointerDown);
	stage.addEventListener("pointermove", onPointerMove);
	stage.addEventListener("pointerup", onPointerUp);
	stage.addEventListener("pointercancel", onPointerCancel);
	stage.addEventListener("pointerleave", () => {
		hover = null;
		drawVectors();
	});
	stage.addEventListener("contextmenu", (e) => e.preventDefault());
	root.addEventListener("keydown", onKeyDown);

	// ---------- your own image: picker, drop, paste → binary chunks to Python ----------
	let uploadSeq = 0;
	let uploading = null;

	function showMessage(text, isError) {
		status.classList.toggle("dw-error", Boolean(isError));
		status.textContent = text;
	}

	async function sendFile(file) {
		if (!file || !model.get("accept_files")) return;
		const name = file.name || "pasted image";
		const limit = model.get("max_upload_bytes");
		if (file.type && !file.type.startsWith("image/")) {
			showMessage(`${name} is not an image (${file.type}); open a PNG, JPEG or WebP file.`, true);
			return;
		}
		if (file.size > limit) {
			const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
			showMessage(`${name} is ${mb(file.size)}; images up to ${mb(limit)} can be loaded (save a smaller JPEG or PNG first).`, true);
			return;
		}
		const bytes = new Uint8Array(await file.arrayBuffer());
		const chunk = Math.max(1024, model.get("upload_chunk_bytes"));
		const count = Math.max(1, Math.ceil(bytes.length / chunk));
		const id = `${Date.now().toString(36)}-${++uploadSeq}`;
		uploading = id;
		showMessage(`Loading ${name}…`, false);
		for (let i = 0; i < count; i++) {
			const part = bytes.slice(i * chunk, Math.min(bytes.length, (i + 1) * chunk));
			model.send({ type: "upload", id, index: i, count, name, size: bytes.length }, undefined, [part.buffer]);
		}
	}

	function onCustom(msg) {
		if (!msg || msg.type !== "upload-result" || msg.id !== uploading) return;
		uploading = null;
		if (msg.ok) setStatus();
		else showMessage(msg.message, true);
	}

	openBtn.addEventListener("click", () => fileInput.click());
	fileInput.addEventListener("change", () => {
		const file = fileInput.files && fileInput.files[0];
		fileInput.value = "";
		sendFile(file);
	});
	const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
	for (const type of ["dragenter", "dragover"]) {
		stage.addEventListener(type, (e) => {
			if (!hasFiles(e) || !model.get("accept_files")) return;
			e.preventDefault();
			e.stopPropagation(); // JupyterLab would open the file as a document
			e.dataTransfer.dropEffect = "copy";
			stage.classList.add("dw-drop-target");
		});
	}
	stage.addEventListener("dragleave", () => stage.classList.remove("dw-drop-target"));
	stage.addEventListener("drop", (e) => {
		stage.classList.remove("dw-drop-target");
		if (!hasFiles(e) || !model.get("accept_files")) return;
		e.preventDefault();
		e.stopPropagation();
		sendFile(e.dataTransfer.files[0]);
	});
	root.addEventListener("paste", (e) => {
		const items = Array.from((e.clipboardData && e.clipboardData.items) || []);
		const item = items.find((it) => it.kind === "file" && it.type.startsWith("image/"));
		if (!item || !model.get("accept_files")) return;
		e.preventDefault();
		e.stopPropagation();
		sendFile(item.getAsFile());
	});

	// ---------- model listeners ----------
	async function loadImage() {
		const token = {};
		loadImage.token = token;
		let bmp = null;
		try {
			bmp = await decodeImage(model.get("image_data"), model.get("image_format"));
		} catch (err) {
			status.textContent = `Could not decode the image: ${err}`;
		}
		if (disposed || loadImage.token !== token) return;
		bitmap = bmp;
		drawBase();
	}
	const onTool = () => {
		if (model.get("tool") !== "points") pendingHandle = null;
		refresh();
	};
	const onTools = () => buildToolbar();
	const onDisplay = () => layout();
	const onImage = () => loadImage();
	const onError = () => setStatus();
	model.on("change:tool", onTool);
	model.on("change:tools", onTools);
	model.on("change:display_width", onDisplay);
	model.on("change:image_data", onImage);
	model.on("change:error", onError);
	model.on("change:brush_size", syncToolbar);
	model.on("change:overlay_opacity", refresh);
	model.on("change:accept_files", onTools);
	model.on("msg:custom", onCustom);

	const view = { refresh };
	store.views.add(view);
	const ro = new ResizeObserver(() => resizeVec());
	ro.observe(stage);

	buildToolbar();
	layout();
	refresh();
	loadImage();

	return () => {
		disposed = true;
		store.views.delete(view);
		ro.disconnect();
		model.off("change:tool", onTool);
		model.off("change:tools", onTools);
		model.off("change:display_width", onDisplay);
		model.off("change:image_data", onImage);
		model.off("change:error", onError);
		model.off("change:brush_size", syncToolbar);
		model.off("change:overlay_opacity", refresh);
		model.off("change:accept_files", onTools);
		model.off("msg:custom", onCustom);
	};
}

export default { render };
