// The vector layer drawn over the image in screen pixels: boxes, the arrow, handle → target pairs, the pending
// handle and the brush cursor, in image coordinates scaled to the stage.

const BOX_COLOR = "#ffd400";
const ARROW_COLOR = "#00e5ff";
const HANDLE_COLOR = "#e8283c";
const TARGET_COLOR = "#2f6fd0";
const PAIR_LINE = "rgba(255,255,255,0.9)";

export function drawArrowShape(ctx, a, b, color, width) {
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

/** Redraw `vec` (a canvas covering the stage at device resolution). `scene`: { size: [w, h] of the image, snap:
 * the drawing shown, gesture: the gesture in progress or null, pendingHandle, hover: the pointer in image px or
 * null, brushRadius: image px when a brush tool is active (else null) }. */
export function drawVectors(vec, { size, snap, gesture, pendingHandle, hover, brushRadius }) {
	const ctx = vec.getContext("2d");
	ctx.setTransform(1, 0, 0, 1, 0, 0);
	ctx.clearRect(0, 0, vec.width, vec.height);
	const [w, hgt] = size;
	if (!w || !hgt) return;
	const sx = vec.width / w;
	const sy = vec.height / hgt;
	const dpr = window.devicePixelRatio || 1;
	const S = (p) => [p[0] * sx, p[1] * sy];
	const lw = 2 * dpr;
	// boxes: the last one solid, earlier ones dashed
	snap.boxes.forEach((b, i) => {
		const last = i === snap.boxes.length - 1;
		ctx.setLineDash(last ? [] : [6 * dpr, 4 * dpr]);
		ctx.lineWidth = lw;
		ctx.strokeStyle = BOX_COLOR;
		ctx.strokeRect(b[0] * sx, b[1] * sy, (b[2] - b[0]) * sx, (b[3] - b[1]) * sy);
	});
	ctx.setLineDash([]);
	if (gesture && gesture.kind === "box") {
		const [a, b] = [gesture.start, gesture.end];
		ctx.lineWidth = lw;
		ctx.strokeStyle = BOX_COLOR;
		ctx.strokeRect(a[0] * sx, a[1] * sy, (b[0] - a[0]) * sx, (b[1] - a[1]) * sy);
	}
	const arrow = gesture && gesture.kind === "arrow" ? [gesture.start, gesture.end] : snap.arrow;
	if (arrow) drawArrowShape(ctx, S(arrow[0]), S(arrow[1]), ARROW_COLOR, 3 * dpr);
	// point pairs, numbered; the arrow stops at the target dot's edge so its head stays visible
	const r = 6 * dpr;
	ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`;
	const short = (a, b) => {
		const d = Math.hypot(b[0] - a[0], b[1] - a[1]);
		return d > 2.5 * r ? [b[0] - ((b[0] - a[0]) / d) * r, b[1] - ((b[1] - a[1]) / d) * r] : b;
	};
	snap.points.forEach((pair, i) => {
		const a = S(pair[0]);
		const b = S(pair[1]);
		drawArrowShape(ctx, a, short(a, b), PAIR_LINE, 2 * dpr);
		dot(ctx, a, r, HANDLE_COLOR);
		dot(ctx, b, r, TARGET_COLOR);
		ctx.fillStyle = "#fff";
		ctx.strokeStyle = "#000";
		ctx.lineWidth = 3 * dpr;
		ctx.strokeText(String(i + 1), a[0] + r + 2, a[1] - r);
		ctx.fillText(String(i + 1), a[0] + r + 2, a[1] - r);
	});
	if (gesture && gesture.kind === "pair") {
		drawArrowShape(ctx, S(gesture.start), short(S(gesture.start), S(gesture.end)), PAIR_LINE, 2 * dpr);
		dot(ctx, S(gesture.start), r, HANDLE_COLOR);
		dot(ctx, S(gesture.end), r, TARGET_COLOR);
	}
	if (pendingHandle) dot(ctx, S(pendingHandle), r, HANDLE_COLOR);
	if (hover && brushRadius != null) {
		ctx.beginPath();
		ctx.arc(hover[0] * sx, hover[1] * sy, Math.max(brushRadius * sx, 1), 0, Math.PI * 2);
		ctx.lineWidth = dpr;
		ctx.strokeStyle = "#fff";
		ctx.stroke();
		ctx.setLineDash([3 * dpr, 3 * dpr]);
		ctx.strokeStyle = "#000";
		ctx.stroke();
		ctx.setLineDash([]);
	}
}
