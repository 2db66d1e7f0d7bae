// The two painted layers at image resolution: the mask and the optional reference region (one byte per pixel,
// 0 or 1), how brush strokes change them and how they are coloured on the overlay canvas.

const MASK_RGB = [255, 40, 90];
const REGION_RGB = [40, 140, 255];

/** Stamp a filled disk of radius r (image px) centred at (cx, cy) into a w×hgt layer; returns the touched rect. */
export function stamp(layer, w, hgt, cx, cy, r, value) {
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

/** One brush segment from `from` to `to` into the drawing `snap`: "brush" paints the mask, "region" the region,
 * "eraser" clears both; disks of `brushSize` are stamped densely enough to leave no gaps. Returns the touched
 * rect [x0, y0, x1, y1] (inclusive). */
export function strokeSegment(snap, [w, hgt], tool, brushSize, from, to) {
	const r = Math.max(0.5, brushSize / 2);
	const dist = Math.hypot(to[0] - from[0], to[1] - from[1]);
	const n = Math.max(1, Math.ceil(dist / Math.max(r * 0.5, 0.5)));
	let box = null;
	for (let k = 0; k <= n; k++) {
		const t = k / n;
		const cx = from[0] + (to[0] - from[0]) * t;
		const cy = from[1] + (to[1] - from[1]) * t;
		let rect;
		if (tool === "eraser") {
			rect = stamp(snap.mask, w, hgt, cx, cy, r, 0);
			stamp(snap.region, w, hgt, cx, cy, r, 0);
		} else {
			rect = stamp(tool === "region" ? snap.region : snap.mask, w, hgt, cx, cy, r, 1);
		}
		box = box ? [Math.min(box[0], rect[0]), Math.min(box[1], rect[1]), Math.max(box[2], rect[2]), Math.max(box[3], rect[3])] : rect;
	}
	return box;
}

/** Colour the layers of `snap` onto the image-sized `overlay` canvas (mask over region), within `rect` or all. */
export function paintLayers(overlay, snap, [w, hgt], rect) {
	if (!w || !hgt) return;
	const ctx = overlay.getContext("2d");
	const [x0, y0, x1, y1] = rect || [0, 0, w - 1, hgt - 1];
	const rw = x1 - x0 + 1;
	const rh = y1 - y0 + 1;
	if (rw <= 0 || rh <= 0) return;
	const img = ctx.createImageData(rw, rh);
	const { mask, region } = snap;
	for (let y = 0; y < rh; y++) {
		for (let x = 0; x < rw; x++) {
			const i = (y0 + y) * w + (x0 + x);
			const o = (y * rw + x) * 4;
			const c = mask[i] ? MASK_RGB : region[i] ? REGION_RGB : null;
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

/** Number of set pixels of a layer. */
export function countSet(layer) {
	let n = 0;
	for (const v of layer) n += v ? 1 : 0;
	return n;
}
