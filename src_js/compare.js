// CompareView front end: before/after images with a draggable wipe divider.
import { asBytes, ensureStyle, h } from "./_util.js";
import { css } from "./_style.js";

function urlFor(value, format) {
	const bytes = asBytes(value);
	if (!bytes.length) return "";
	return URL.createObjectURL(new Blob([bytes], { type: `image/${format || "png"}` }));
}

// The images' geometry is set inline with !important so a host page's stylesheet cannot change it: classic
// Notebook's `div.output_area img { max-width: 100%; height: auto }` would shrink "before" to the clip's width.
function pin(img, width, height) {
	const style = {
		position: "absolute", left: "0", top: "0", width, height, "max-width": "none", "max-height": "none",
		"min-width": "0", "min-height": "0", margin: "0", padding: "0", border: "0", "box-sizing": "content-box",
		"image-rendering": "pixelated",
	};
	for (const [k, v] of Object.entries(style)) img.style.setProperty(k, v, "important");
}

function render({ model, el }) {
	ensureStyle("dragon-widgets-style", css);
	const root = h("div", "dw-root dw-compare-root");
	const box = h("div", "dw-compare");
	// "after" fills the box; "before" is clipped to the left of the divider.
	const after = h("img", "dw-after", { alt: "after", draggable: false });
	const clip = h("div", "dw-after-clip dw-before-clip");
	const before = h("img", "dw-before", { alt: "before", draggable: false });
	const divider = h("div", "dw-divider");
	const tagB = h("span", "dw-tag", { textContent: "before" });
	const tagA = h("span", "dw-tag", { textContent: "after" });
	tagB.style.left = "4px";
	tagA.style.right = "4px";
	clip.appendChild(before);
	box.append(after, clip, divider, tagB, tagA);
	root.appendChild(box);
	el.appendChild(root);
	let urls = [];

	function place() {
		const pos = Math.min(1, Math.max(0, Number(model.get("position"))));
		// "before" is shown left of the divider, "after" right of it.
		clip.style.width = `${pos * 100}%`;
		divider.style.left = `calc(${pos * 100}% - 1px)`;
	}

	function load() {
		for (const u of urls) URL.revokeObjectURL(u);
		const fmt = model.get("image_format");
		urls = [urlFor(model.get("before_data"), fmt), urlFor(model.get("after_data"), fmt)];
		before.src = urls[0];
		after.src = urls[1] || urls[0];
		const w = model.get("width") || 1;
		const hgt = model.get("height") || 1;
		let dw = model.get("display_width");
		if (!dw) dw = Math.max(w, hgt) < 384 ? w * Math.max(1, Math.floor(384 / Math.max(w, hgt))) : Math.min(w, 512);
		box.style.width = `${dw}px`;
		box.style.aspectRatio = `${w} / ${hgt}`;
		pin(after, "100%", "100%");
		pin(before, `${dw}px`, `${(dw * hgt) / w}px`);
		place();
	}

	let dragging = false;
	function fromEvent(e) {
		const rect = box.getBoundingClientRect();
		model.set("position", Math.min(1, Math.max(0, (e.clientX - rect.left) / Math.max(rect.width, 1))));
		place();
	}
	box.addEventListener("pointerdown", (e) => {
		dragging = true;
		box.setPointerCapture(e.pointerId);
		fromEvent(e);
	});
	box.addEventListener("pointermove", (e) => dragging && fromEvent(e));
	box.addEventListener("pointerup", () => {
		dragging = false;
		model.save_changes();
	});

	model.on("change:before_data", load);
	model.on("change:after_data", load);
	model.on("change:position", place);
	model.on("change:display_width", load);
	load();
	return () => {
		for (const u of urls) URL.revokeObjectURL(u);
		model.off("change:before_data", load);
		model.off("change:after_data", load);
		model.off("change:position", place);
		model.off("change:display_width", load);
	};
}

export default { render };
