// One view of a DragCanvas: the DOM (toolbar, stage with the image/overlay canvas and the vector canvas, status
// line), its layout and redrawing. The drawing and its history live in the model's store (store.js); the tools,
// the toolbar and file I/O are their own modules.
import { ensureStyle, h } from "../_util.js";
import { css } from "../_style.js";
import { drawVectors } from "./draw.js";
import { fileUploads, imageLoader } from "./io.js";
import { countSet, paintLayers } from "./layers.js";
import { createToolbar } from "./toolbar.js";
import { DrawingTools } from "./tools.js";

const round2 = (v) => Math.round(v * 100) / 100;

export class CanvasView {
	constructor(model, store, el) {
		ensureStyle("dragon-widgets-style", css);
		this.model = model;
		this.store = store;
		this.disposed = false;
		this.bitmap = null;
		const root = (this.root = h("div", "dw-root dw-canvas", { tabIndex: 0 }));
		root.dataset.lmSuppressShortcuts = "true";
		const toolbar = h("div", "dw-toolbar");
		this.stage = h("div", "dw-stage");
		this.base = h("canvas", "dw-base");
		this.vec = h("canvas", "dw-vec");
		this.status = h("div", "dw-status");
		const dropHint = h("div", "dw-drop-hint", { textContent: "Drop the image to edit it" });
		this.stage.append(this.base, this.vec, dropHint);
		const footer = h("div", "dw-footer"); // status line, and Open image… (not in the toolbar: its width must not change)
		footer.append(this.status);
		root.append(toolbar, this.stage, footer);
		el.appendChild(root);
		this.overlay = document.createElement("canvas"); // mask + region colours at image resolution

		this.tools = new DrawingTools(this);
		this.toolbar = createToolbar(this, toolbar, footer, root);
		this.uploads = fileUploads({
			model, root, stage: this.stage, openBtn: this.toolbar.openBtn, fileInput: this.toolbar.fileInput,
			showMessage: (text, isError) => this.showMessage(text, isError), onDone: () => this.setStatus(),
		});
		this.image = imageLoader(model, (bmp) => {
			this.bitmap = bmp;
			this.drawBase();
		}, (message) => {
			this.status.textContent = message;
		});

		this.handlers = {
			"change:tool": () => {
				if (model.get("tool") !== "points") this.tools.forgetPendingHandle();
				this.refresh();
			},
			"change:tools": () => this.toolbar.rebuild(),
			"change:mask_meaning": () => this.toolbar.rebuild(),
			"change:accept_files": () => this.toolbar.rebuild(),
			"change:display_width": () => {
				this.layout();
				this.paint(); // a resized view shows the image and the drawing again
			},
			"change:error": () => this.setStatus(),
			"change:brush_size": () => this.toolbar.sync(),
			"change:overlay_opacity": () => this.refresh(),
		};
		for (const [e, fn] of Object.entries(this.handlers)) model.on(e, fn);
		store.attach(this);
		this.resizeObserver = new ResizeObserver(() => this.resizeVec());
		this.resizeObserver.observe(this.stage);

		this.toolbar.rebuild();
		this.layout();
		this.refresh();
		this.image.load();
	}

	// ---------- geometry ----------
	layout() {
		const [w, hgt] = this.store.size;
		let dw = this.model.get("display_width");
		if (!dw) {
			const longest = Math.max(w, hgt, 1);
			dw = longest < 512 ? w * Math.max(1, Math.floor(512 / longest)) : Math.min(w, 768 * (w / longest));
		}
		this.stage.style.width = `${dw}px`;
		this.stage.style.aspectRatio = `${w} / ${hgt}`;
		// setting a canvas's size clears it, even to the same size: only when the image's size changed
		for (const c of [this.base, this.overlay]) {
			if (c.width !== w || c.height !== hgt) {
				c.width = w;
				c.height = hgt;
			}
		}
		this.resizeVec();
	}

	resizeVec() {
		const rect = this.stage.getBoundingClientRect();
		const dpr = window.devicePixelRatio || 1;
		const cw = Math.max(1, Math.round(rect.width * dpr));
		const ch = Math.max(1, Math.round(rect.height * dpr));
		if (this.vec.width !== cw || this.vec.height !== ch) {
			this.vec.width = cw;
			this.vec.height = ch;
		}
		this.drawVectors();
	}

	/** Pointer event → image coordinates, clamped to the image's edges (0..w: box corners, brush centres). */
	toImage(e) {
		const rect = this.stage.getBoundingClientRect();
		const [w, hgt] = this.store.size;
		const x = ((e.clientX - rect.left) / Math.max(rect.width, 1)) * w;
		const y = ((e.clientY - rect.top) / Math.max(rect.height, 1)) * hgt;
		return [round2(Math.min(Math.max(x, 0), w)), round2(Math.min(Math.max(y, 0), hgt))];
	}

	/** A position on a pixel (point handles/targets, arrow ends): clamped to the last pixel, 0..w-1 — the range
	 * the engine accepts (Python clamps the same way). */
	onPixel(p) {
		const [w, hgt] = this.store.size;
		return [Math.min(p[0], Math.max(w - 1, 0)), Math.min(p[1], Math.max(hgt - 1, 0))];
	}

	/** Largest brush: the image's longest side (Python refuses larger). */
	maxBrush() {
		return Math.max(1, this.store.size[0], this.store.size[1]);
	}

	/** Image px per CSS px (for hit-testing in screen units). */
	imagePerCss() {
		const rect = this.stage.getBoundingClientRect();
		return this.store.size[0] / Math.max(rect.width, 1);
	}

	// ---------- drawing ----------
	/** Repaint the layers within `rect` (all when omitted) and the base canvas. */
	paint(rect) {
		paintLayers(this.overlay, this.tools.shown(), this.store.size, rect);
		this.drawBase();
	}

	drawBase() {
		const [w, hgt] = this.store.size;
		const ctx = this.base.getContext("2d");
		ctx.clearRect(0, 0, w, hgt);
		if (this.bitmap) ctx.drawImage(this.bitmap, 0, 0, w, hgt);
		ctx.globalAlpha = Number(this.model.get("overlay_opacity"));
		ctx.drawImage(this.overlay, 0, 0);
		ctx.globalAlpha = 1;
	}

	drawVectors() {
		drawVectors(this.vec, { size: this.store.size, ...this.tools.scene() });
	}

	showMessage(text, isError) {
		this.status.classList.toggle("dw-error", Boolean(isError));
		this.status.textContent = text;
	}

	setStatus() {
		const err = this.model.get("error");
		this.status.classList.toggle("dw-error", Boolean(err));
		if (err) {
			this.status.textContent = err;
			return;
		}
		if (this.tools.notice) {
			this.status.textContent = this.tools.notice;
			return;
		}
		const s = this.store.current;
		const [w, hgt] = this.store.size;
		const parts = [`${w}×${hgt} px`, `mask ${countSet(s.mask)} px`];
		if (s.points.length) parts.push(`${s.points.length} point pair${s.points.length > 1 ? "s" : ""}`);
		if (s.boxes.length) parts.push(`${s.boxes.length} box${s.boxes.length > 1 ? "es" : ""}`);
		if (s.arrow) parts.push(`arrow (${round2(s.arrow[1][0] - s.arrow[0][0])}, ${round2(s.arrow[1][1] - s.arrow[0][1])})`);
		if (this.tools.pendingHandle) parts.push("click the target of the new handle");
		this.status.textContent = parts.join(" · ");
	}

	/** Redraw everything from the store (the store calls this after every change of the drawing). */
	refresh() {
		if (this.disposed) return;
		const [w, hgt] = [this.model.get("width"), this.model.get("height")];
		if (this.base.width !== w || this.base.height !== hgt) this.layout();
		this.paint();
		this.drawVectors();
		this.toolbar.sync();
		this.setStatus();
	}

	dispose() {
		this.disposed = true;
		this.store.detach(this);
		this.resizeObserver.disconnect();
		for (const [e, fn] of Object.entries(this.handlers)) this.model.off(e, fn);
		this.tools.dispose();
		this.uploads.dispose();
		this.image.dispose();
	}
}
