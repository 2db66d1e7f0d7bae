// CompareView front end: before | after side by side, or one image with a draggable wipe; a toggle switches.
import { asBytes, ensureStyle, h } from "./_util.js";
import { css } from "./_style.js";

const GAP = 6;
const HANDLE_WIDTH = 14; // px, as in _style.js

function urlFor(value, format) {
	const bytes = asBytes(value);
	if (!bytes.length) return "";
	return URL.createObjectURL(new Blob([bytes], { type: `image/${format || "png"}` }));
}

// The images' geometry is set inline with !important so a host page's stylesheet cannot change it: classic
// Notebook's `div.output_area img { max-width: 100%; height: auto }` would shrink "before" to the clip's width.
function pin(img, style) {
	const all = {
		"max-width": "none", "max-height": "none", "min-width": "0", "min-height": "0", margin: "0", padding: "0",
		border: "0", "box-sizing": "content-box", "image-rendering": "pixelated", ...style,
	};
	for (const [k, v] of Object.entries(all)) img.style.setProperty(k, v, "important");
}

function render({ model, el }) {
	ensureStyle("dragon-widgets-style", css);
	const root = h("div", "dw-root dw-compare-root");
	const bar = h("div", "dw-compare-bar");
	const sideBtn = h("button", "dw-view-side", { textContent: "Side by side", title: "Before and after next to each other" });
	const wipeBtn = h("button", "dw-view-wipe", { textContent: "Wipe", title: "One image: drag the handle to uncover the before image" });
	bar.append(sideBtn, wipeBtn);

	// wipe: "after" fills the box; "before" is clipped to the left of the divider
	const box = h("div", "dw-compare");
	const after = h("img", "dw-after", { alt: "after", draggable: false });
	const clip = h("div", "dw-after-clip dw-before-clip");
	const before = h("img", "dw-before", { alt: "before", draggable: false });
	const divider = h("div", "dw-divider");
	const handle = h("div", "dw-handle", { title: "Drag to compare" });
	const tagB = h("span", "dw-tag", { textContent: "before" });
	const tagA = h("span", "dw-tag", { textContent: "after" });
	tagB.style.left = "4px";
	tagA.style.right = "4px";
	clip.appendChild(before);
	divider.appendChild(handle);
	box.append(after, clip, divider, tagB, tagA);

	// side by side: two figures
	const pair = h("div", "dw-compare-pair");
	const figB = h("figure", "dw-fig dw-fig-before");
	const figA = h("figure", "dw-fig dw-fig-after");
	const sideB = h("img", "dw-side-before", { alt: "before", draggable: false });
	const sideA = h("img", "dw-side-after", { alt: "after", draggable: false });
	figB.append(sideB, h("figcaption", "", { textContent: "before" }));
	figA.append(sideA, h("figcaption", "", { textContent: "after" }));
	pair.append(figB, figA);

	root.append(bar, pair, box);
	el.appendChild(root);
	let urls = [];

	function place() {
		const pos = Math.min(1, Math.max(0, Number(model.get("position"))));
		clip.style.width = `${pos * 100}%`;
		divider.style.left = `calc(${pos * 100}% - 1px)`;
		// the handle stays whole inside the box at either end (at 0 it would be cut in half by the box's edge)
		const w = box.clientWidth || parseFloat(box.style.width) || 0;
		const x = pos * w - 1; // the divider's left edge
		const half = HANDLE_WIDTH / 2;
		handle.style.left = `${Math.min(Math.max(-half + 1, -x), w - x - HANDLE_WIDTH)}px`;
	}

	/** Width of one image: the model's display_width or a crisp default, shrunk to the space there is. */
	function imageWidth(view) {
		const w = model.get("width") || 1;
		const hgt = model.get("height") || 1;
		const longest = Math.max(w, hgt);
		let dw = model.get("display_width");
		const target = view === "side" ? 256 : 384;
		if (!dw) dw = longest < target ? w * Math.max(1, Math.floor(target / longest)) : (w * target) / longest;
		const avail = el.clientWidth || root.clientWidth;
		if (avail > 0) dw = Math.min(dw, view === "side" ? (avail - GAP) / 2 : avail);
		return Math.max(16, Math.floor(dw));
	}

	function layout() {
		const view = model.get("view") === "wipe" ? "wipe" : "side";
		const w = model.get("width") || 1;
		const hgt = model.get("height") || 1;
		const dw = imageWidth(view);
		const dh = (dw * hgt) / w;
		const hasAfter = asBytes(model.get("after_data")).length > 0;
		sideBtn.classList.toggle("dw-active", view === "side");
		wipeBtn.classList.toggle("dw-active", view === "wipe");
		pair.style.display = view === "side" ? "flex" : "none";
		box.style.display = view === "wipe" ? "" : "none";
		figA.style.display = hasAfter ? "" : "none";
		root.classList.toggle("dw-no-after", !hasAfter);
		for (const img of [sideB, sideA]) pin(img, { position: "static", display: "block", width: `${dw}px`, height: `${dh}px` });
		box.style.width = `${dw}px`;
		box.style.height = `${dh}px`;
		pin(after, { position: "absolute", left: "0", top: "0", width: "100%", height: "100%" });
		pin(before, { position: "absolute", left: "0", top: "0", width: `${dw}px`, height: `${dh}px` });
		place();
	}

	function load() {
		for (const u of urls) URL.revokeObjectURL(u);
		const fmt = model.get("image_format");
		urls = [urlFor(model.get("before_data"), fmt), urlFor(model.get("after_data"), fmt)];
		before.src = sideB.src = urls[0];
		after.src = urls[1] || urls[0];
		sideA.src = urls[1] || "";
		layout();
	}

	function setView(view) {
		model.set("view", view);
		model.save_changes();
		layout();
	}
	sideBtn.addEventListener("click", () => setView("side"));
	wipeBtn.addEventListener("click", () => setView("wipe"));

	let dragging = false;
	function fromEvent(e) {
		const rect = box.getBoundingClientRect();
		model.set("position", Math.min(1, Math.max(0, (e.clientX - rect.left) / Math.max(rect.width, 1))));
		place();
	}
	box.addEventListener("pointerdown", (e) => {
		e.preventDefault(); // a press beside the handle starts a wipe, never a text selection
		dragging = true;
		try {
			box.setPointerCapture(e.pointerId);
		} catch {
			// synthetic pointer: capture is an optimisation only
		}
		fromEvent(e);
	});
	box.addEventListener("pointermove", (e) => dragging && fromEvent(e));
	box.addEventListener("pointerup", () => {
		dragging = false;
		model.save_changes();
	});

	let lastWidth = -1;
	const ro = new ResizeObserver(() => {
		const w = el.clientWidth;
		if (w !== lastWidth) {
			lastWidth = w;
			layout();
		}
	});
	ro.observe(el);

	model.on("change:before_data", load);
	model.on("change:after_data", load);
	model.on("change:position", place);
	model.on("change:view", layout);
	model.on("change:display_width", layout);
	load();
	return () => {
		ro.disconnect();
		for (const u of urls) URL.revokeObjectURL(u);
		model.off("change:before_data", load);
		model.off("change:after_data", load);
		model.off("change:position", place);
		model.off("change:view", layout);
		model.off("change:display_width", layout);
	};
}

export default { render };
