// The inspector / correspondence explorer as a standalone page (dragon_widgets.widgets.standalone): reads the
// JSON block #dw-data and draws every panel in the browser. No kernel, no network: images are data URLs, arrays
// base64 strings; correspondences and attention are computed here as the pointer moves.
import { render as renderEnergy } from "./panels.js";

// ----- data --------------------------------------------------------------------------------------------------
function bytes(b64) {
	const bin = atob(b64);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

function typed(b64, Type) {
	const b = bytes(b64);
	return new Type(b.buffer, 0, b.byteLength / Type.BYTES_PER_ELEMENT);
}

/** IEEE half floats (Uint16) → Float32Array. */
function halves(b64) {
	const u = typed(b64, Uint16Array);
	const out = new Float32Array(u.length);
	for (let i = 0; i < u.length; i++) {
		const h = u[i], s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
		out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
	}
	return out;
}

function unpackBits(b64, n) {
	const b = bytes(b64);
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i++) out[i] = (b[i >> 3] >> (7 - (i & 7))) & 1;
	return out;
}

function loadImage(url) {
	return new Promise((resolve, reject) => {
		const img = new Image();
		img.onload = () => resolve(img);
		img.onerror = () => reject(new Error("an embedded image could not be decoded"));
		img.src = url;
	});
}

function fmt(x) {
	if (!Number.isFinite(x)) return "–";
	const a = Math.abs(x);
	return a !== 0 && (a < 1e-2 || a >= 1e4) ? x.toExponential(2) : x.toFixed(3);
}

function fmtPoint(p) {
	const f = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
	return `(${f(p[0])}, ${f(p[1])})`;
}

// ----- DOM helpers -------------------------------------------------------------------------------------------
function h(tag, cls, props = {}, children = []) {
	const el = document.createElement(tag);
	if (cls) el.className = cls;
	Object.assign(el, props);
	for (const c of children) el.append(c);
	return el;
}

const CSS = `
body{margin:0;background:#fafafa;color:#222;font-family:sans-serif}
#dw-root{padding:12px 18px;font-size:var(--dw-font)}
.dw-sa h1{font-size:calc(var(--dw-font)*1.7);margin:4px 0}
.dw-sa .dw-note{color:#555;margin:2px 0 10px 0}
.dw-sa h2{font-size:calc(var(--dw-font)*1.25);margin:14px 0 4px 0}
.dw-row{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
.dw-panel{display:inline-flex;flex-direction:column;align-items:center;position:relative}
.dw-panel .dw-title{max-width:var(--dw-title-w);text-align:center;margin-bottom:2px}
.dw-panel canvas{image-rendering:pixelated;border:1px solid #ccc;background:#000}
.dw-controls{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:6px 0}
.dw-controls input[type=range]{width:var(--dw-scrub-w)}
.dw-seg button{font-size:var(--dw-font);padding:2px 10px;border:1px solid #888;background:#eee;cursor:pointer}
.dw-seg button.dw-on{background:#345;color:#fff}
.dw-tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #888;
  padding:2px 5px;white-space:nowrap;z-index:10;display:none}
.dw-caption{color:#444;font-style:italic;max-width:70em;margin:4px 0}
button.dw-play{font-size:var(--dw-font);min-width:3em}
.dw-sa select,.dw-sa label{font-size:var(--dw-font)}
`;

/** A titled canvas showing an image of `size` (W, H) at `side` CSS pixels wide. */
function imagePanel(size, side, cls, title = "") {
	const [W, H] = size;
	const canvas = h("canvas");
	canvas.width = side;
	canvas.height = Math.max(1, Math.round((H * side) / W));
	const label = h("div", "dw-title", { innerHTML: title });
	const tip = h("div", "dw-tip");
	const root = h("div", `dw-panel ${cls}`, {}, [label, canvas, tip]);
	const zoom = side / W;
	const ctx = canvas.getContext("2d");
	const panel = {
		root, canvas, label, tip, zoom, size,
		title(t) { label.innerHTML = t; },
		image(img) {
			ctx.imageSmoothingEnabled = false;
			ctx.globalAlpha = 1;
			ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
		},
		/** values (h*w, row-major) → colours through lut(v) ([r,g,b]); alpha < 1 blends over what is drawn. */
		field(w, hgt, colorOf, alpha = 1) {
			const off = document.createElement("canvas");
			off.width = w;
			off.height = hgt;
			const octx = off.getContext("2d");
			const im = octx.createImageData(w, hgt);
			for (let j = 0; j < w * hgt; j++) {
				const [r, g, b] = colorOf(j);
				im.data[4 * j] = r;
				im.data[4 * j + 1] = g;
				im.data[4 * j + 2] = b;
				im.data[4 * j + 3] = 255;
			}
			octx.putImageData(im, 0, 0);
			ctx.imageSmoothingEnabled = false;
			ctx.globalAlpha = alpha;
			ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
			ctx.globalAlpha = 1;
		},
		outline(bits, color) {
			const sx = canvas.width / W, sy = canvas.height / H;
			ctx.fillStyle = `rgba(${color[0]},${color[1]},${color[2]},0.9)`;
			for (let r = 0; r < H; r++) {
				for (let c = 0; c < W; c++) {
					if (bits[r * W + c]) ctx.fillRect(c * sx, r * sy, Math.max(sx, 1), Math.max(sy, 1));
				}
			}
		},
		ring(x, y, color, radius, width) {
			ctx.strokeStyle = color;
			ctx.lineWidth = width;
			ctx.beginPath();
			ctx.arc(x * zoom, y * zoom, radius, 0, 2 * Math.PI);
			ctx.stroke();
		},
		cross(x, y, color, radius, width) {
			const cx = x * zoom, cy = y * zoom;
			ctx.strokeStyle = color;
			ctx.lineWidth = width;
			ctx.beginPath();
			ctx.moveTo(cx - radius, cy - radius);
			ctx.lineTo(cx + radius, cy + radius);
			ctx.moveTo(cx - radius, cy + radius);
			ctx.lineTo(cx + radius, cy - radius);
			ctx.stroke();
		},
		line(a, b, color, width, dashed = false) {
			ctx.strokeStyle = ctx.fillStyle = color;
			ctx.lineWidth = width;
			ctx.setLineDash(dashed ? [4, 4] : []);
			ctx.beginPath();
			ctx.moveTo(a[0] * zoom, a[1] * zoom);
			ctx.lineTo(b[0] * zoom, b[1] * zoom);
			ctx.stroke();
			ctx.setLineDash([]);
		},
		arrow(a, b, color, width) {
			panel.line(a, b, color, width);
			const x1 = b[0] * zoom, y1 = b[1] * zoom;
			const ang = Math.atan2(b[1] - a[1], b[0] - a[0]);
			ctx.beginPath();
			for (const da of [2.6, -2.6]) {
				ctx.moveTo(x1, y1);
				ctx.lineTo(x1 + 4 * width * Math.cos(ang + da), y1 + 4 * width * Math.sin(ang + da));
			}
			ctx.stroke();
		},
		polyline(pts, color, width) {
			if (pts.length < 2) return;
			ctx.strokeStyle = color;
			ctx.lineWidth = width;
			ctx.beginPath();
			pts.forEach((p, k) => (k ? ctx.lineTo(p[0] * zoom, p[1] * zoom) : ctx.moveTo(p[0] * zoom, p[1] * zoom)));
			ctx.stroke();
		},
		dot(x, y, color, radius) {
			ctx.fillStyle = color;
			ctx.beginPath();
			ctx.arc(x * zoom, y * zoom, radius, 0, 2 * Math.PI);
			ctx.fill();
		},
		/** Image pixel (x, y) under a mouse event (clamped inside). */
		at(ev) {
			const rect = canvas.getBoundingClientRect();
			const x = ((ev.clientX - rect.left) / rect.width) * W;
			const y = ((ev.clientY - rect.top) / rect.height) * H;
			return [Math.min(Math.max(x, 0), W - 1e-3), Math.min(Math.max(y, 0), H - 1e-3)];
		},
		showTip(ev, html) {
			const rect = canvas.getBoundingClientRect();
			tip.innerHTML = html;
			tip.style.left = `${ev.clientX - rect.left + 14}px`;
			tip.style.top = `${ev.clientY - rect.top + label.offsetHeight + 14}px`;
			tip.style.display = "block";
		},
		hideTip() { tip.style.display = "none"; },
	};
	return panel;
}

function segmented(options, value, onChange) {
	const root = h("span", "dw-seg");
	const buttons = options.map((o) => {
		const b = h("button", o === value ? "dw-on" : "", { textContent: o, type: "button" });
		b.addEventListener("click", () => {
			buttons.forEach((x) => x.classList.toggle("dw-on", x === b));
			onChange(o);
		});
		return b;
	});
	root.append(...buttons);
	return root;
}

function lutOf(b64) {
	const b = bytes(b64);
	return (u) => {
		const k = Math.min(255, Math.max(0, Math.round(u * 255))) * 3;
		return [b[k], b[k + 1], b[k + 2]];
	};
}

// ----- correspondence ------------------------------------------------------------------------------------------
function prepareFeatures(corr) {
	const out = {};
	for (const [key, f] of Object.entries(corr.features)) {
		const a = typed(f.a, Int8Array), b = typed(f.b, Int8Array);
		const [C, hb, wb] = f.shape_b;
		const nb = new Float32Array(hb * wb);
		for (let c = 0; c < C; c++) for (let j = 0; j < hb * wb; j++) nb[j] += b[c * hb * wb + j] ** 2;
		for (let j = 0; j < nb.length; j++) nb[j] = Math.sqrt(nb[j]) || 1;
		out[key] = { a, b, shapeA: f.shape_a, shapeB: f.shape_b, normB: nb };
	}
	return out;
}

/** Cosine similarity over B's grid of A's feature at image-A pixel `point` ({sim, match cell, score, median}). */
function similarity(f, point, sizeA) {
	const [C, ha, wa] = f.shapeA, [, hb, wb] = f.shapeB;
	const col = Math.min(Math.floor((point[0] * wa) / sizeA[0]), wa - 1);
	const row = Math.min(Math.floor((point[1] * ha) / sizeA[1]), ha - 1);
	const q = new Float32Array(C);
	let nq = 0;
	for (let c = 0; c < C; c++) {
		q[c] = f.a[c * ha * wa + row * wa + col];
		nq += q[c] * q[c];
	}
	nq = Math.sqrt(nq) || 1;
	const n = hb * wb, sim = new Float32Array(n);
	for (let c = 0; c < C; c++) {
		const qc = q[c];
		if (!qc) continue;
		const base = c * n;
		for (let j = 0; j < n; j++) sim[j] += qc * f.b[base + j];
	}
	let best = 0;
	for (let j = 0; j < n; j++) {
		sim[j] = Math.max(-1, Math.min(1, sim[j] / (nq * f.normB[j])));
		if (sim[j] > sim[best]) best = j;
	}
	const sorted = Float32Array.from(sim).sort();
	const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
	return { sim, w: wb, h: hb, best, score: sim[best], median, cell: [best % wb, Math.floor(best / wb)] };
}

// ----- attention -------------------------------------------------------------------------------------------------
function prepareAttention(att) {
	const out = {};
	for (const [key, r] of Object.entries(att.records)) {
		out[key] = { ...r, qf: halves(r.q), kf: halves(r.k) };
	}
	return out;
}

/** softmax(q·kᵀ/√d) of the query token under pixel `point`, mean over heads (Float32Array of M). */
function attentionOf(rec, point, size) {
	const [gh, gw] = rec.grid;
	const col = Math.min(Math.floor((point[0] * gw) / size[0]), gw - 1);
	const row = Math.min(Math.floor((point[1] * gh) / size[1]), gh - 1);
	const qi = row * gw + col, d = rec.c / rec.heads, M = rec.m;
	const mean = new Float32Array(M);
	const logits = new Float64Array(M);
	for (let hd = 0; hd < rec.heads; hd++) {
		let mx = -Infinity;
		for (let m = 0; m < M; m++) {
			let s = 0;
			for (let c = 0; c < d; c++) s += rec.qf[qi * rec.c + hd * d + c] * rec.kf[m * rec.c + hd * d + c];
			logits[m] = s / Math.sqrt(d);
			mx = Math.max(mx, logits[m]);
		}
		let z = 0;
		for (let m = 0; m < M; m++) {
			logits[m] = Math.exp(logits[m] - mx);
			z += logits[m];
		}
		for (let m = 0; m < M; m++) mean[m] += logits[m] / z / rec.heads;
	}
	return mean;
}

function groupNames(n) {
	return n === 1 ? ["key"] : n === 2 ? ["own", "bank"] : Array.from({ length: n }, (_, g) => `group ${g}`);
}

// ----- the page ------------------------------------------------------------------------------------------------
async function main() {
	const data = JSON.parse(document.getElementById("dw-data").textContent);
	const root = document.getElementById("dw-root");
	document.head.append(h("style", "", { textContent: CSS }));
	const frames = await Promise.all(data.frames.map(loadImage));
	const original = data.original ? await loadImage(data.original) : null;
	const luts = Object.fromEntries(Object.entries(data.luts).map(([k, v]) => [k, lutOf(v)]));
	const masks = Object.fromEntries(
		Object.entries(data.masks || {}).map(([k, m]) => [k, { bits: unpackBits(m.bits, data.size[0] * data.size[1]), color: m.color }]),
	);
	const corr = data.correspondence || null;
	const feats = corr ? prepareFeatures(corr) : null;
	const att = data.attention || null;
	const attRecs = att ? prepareAttention(att) : null;
	const state = {
		presenter: !!data.presenter,
		step: data.step || 0,
		query: corr ? corr.point.slice() : null,
		hoverQuery: null,
		gridView: "this step",
		gradMode: "magnitude",
		attLayer: att ? att.layers[0] : null,
		attQuery: att ? att.point.slice() : null,
		attHover: null,
	};

	function build() {
		const st = data.styles[state.presenter ? "presenter" : "notebook"];
		root.innerHTML = "";
		root.style.setProperty("--dw-font", `${st.font}px`);
		root.style.setProperty("--dw-title-w", `${Math.max(st.small, 160) + 40}px`);
		root.style.setProperty("--dw-scrub-w", `${state.presenter ? 640 : 420}px`);
		const sa = h("div", `dw-sa dw-standalone-${data.kind}`);
		root.append(sa);
		sa.append(h("h1", "", { textContent: data.title }));
		sa.append(h("p", "dw-note", {
			textContent: `Exported from dragon_widgets ${data.version}: everything is in this file; it needs no ` +
				"Python and no network.",
		}));
		const presenterBox = h("input", "dw-presenter-toggle", { type: "checkbox", checked: state.presenter });
		presenterBox.addEventListener("change", () => {
			state.presenter = presenterBox.checked;
			stopPlay();
			build();
		});
		const presenterLabel = h("label", "", {}, [presenterBox, " presenter mode"]);
		if (data.kind === "inspector") buildInspector(sa, st, presenterLabel);
		else buildExplorer(sa, st, presenterLabel);
	}

	let timer = null;
	function stopPlay() {
		if (timer) clearInterval(timer);
		timer = null;
	}

	// ---- correspondence section (both pages) -------------------------------------------------------------------
	function correspondenceSection(parent, st, timestepsFor, frameFor) {
		const sizeA = data.size, sizeB = data.size_b || data.size;
		const titles = corr.titles;
		const query = imagePanel(sizeA, st.display - 64, "dw-explorer-query", `${titles[0]}: hover or click a point`);
		const pairW = sizeA[0] + 2 + sizeB[0] * (sizeA[1] / sizeB[1]);
		const pair = imagePanel([pairW, sizeA[1]], Math.round(query.zoom * pairW), "dw-explorer-matches",
			`${titles[0]} → ${titles[1]}: best match per layer`);
		const info = h("div", "dw-info");
		const grid = h("div", "dw-explorer-grid");
		parent.append(h("div", "dw-row", {}, [query.root, h("div", "", {}, [info])]), pair.root, grid);
		const cellSide = Math.round(st.small * 0.8);
		const line = st.line, marker = st.marker;

		function point() {
			return state.hoverQuery || state.query;
		}
		function draw() {
			const p = point();
			const ts = timestepsFor();
			const layers = corr.layers;
			query.image(original);
			query.ring(p[0], p[1], "red", marker, line);
			grid.innerHTML = "";
			grid.style.cssText = `display:inline-grid;gap:3px;grid-template-columns:repeat(${ts.length > 1 ? ts.length : layers.length}, auto)`;
			const results = {};
			for (const layer of layers) {
				for (const t of ts) {
					const f = feats[`${layer}|${t}`];
					if (!f) continue;
					const r = similarity(f, p, sizeA);
					results[`${layer}|${t}`] = r;
					const flat = r.score - r.median < corr.flat_contrast;
					const cell = imagePanel(sizeB, cellSide, "dw-explorer-cell");
					cell.image(frames[frameFor(t)]);
					cell.field(r.w, r.h, (j) => luts.magma((r.sim[j] + 1) / 2), flat ? 0.35 : 0.65);
					const mx = ((r.cell[0] + 0.5) * sizeB[0]) / r.w, my = ((r.cell[1] + 0.5) * sizeB[1]) / r.h;
					if (!flat) cell.cross(mx, my, "cyan", marker, line);
					cell.title(flat
						? `<span style="color:#777">${layer} t=${t} · flat: best ${r.score.toFixed(2)} ≈ median ${r.median.toFixed(2)}</span>`
						: `${layer} t=${t} · best ${r.score.toFixed(2)} (median ${r.median.toFixed(2)})`);
					cell.root.dataset.key = `${layer}|${t}`;
					cell.root.dataset.score = r.score.toFixed(4);
					grid.append(cell.root);
				}
			}
			// pair view at the grid's first column
			const t0 = ts[0];
			const pc = pair.canvas.getContext("2d");
			pc.fillStyle = "#fff";
			pc.fillRect(0, 0, pair.canvas.width, pair.canvas.height);
			pc.imageSmoothingEnabled = false;
			pc.drawImage(original, 0, 0, sizeA[0] * pair.zoom, sizeA[1] * pair.zoom);
			const sb = sizeA[1] / sizeB[1], offB = sizeA[0] + 2;
			pc.drawImage(frames[frameFor(t0)], offB * pair.zoom, 0, sizeB[0] * sb * pair.zoom, sizeA[1] * pair.zoom);
			const legend = [];
			layers.forEach((layer, k) => {
				const r = results[`${layer}|${t0}`];
				if (!r) return;
				const color = corr.layer_colors[k];
				const flat = r.score - r.median < corr.flat_contrast;
				const end = [offB + (((r.cell[0] + 0.5) * sizeB[0]) / r.w) * sb, (((r.cell[1] + 0.5) * sizeB[1]) / r.h) * sb];
				pair.line(p, end, color, line, flat);
				pair.dot(end[0], end[1], color, line + 1);
				legend.push(`<span style="color:${color};background:#333;padding:0 3px">${layer} ${r.score.toFixed(2)}${flat ? " flat" : ""}</span>`);
			});
			pair.ring(p[0], p[1], "red", marker, line);
			info.innerHTML = `query ${fmtPoint(p)} in ${titles[0]}; heatmaps over ${titles[1]}: cosine similarity ` +
				`−1…1, × = best match; dimmed = flat (best − median &lt; ${corr.flat_contrast}: no clear match)<br>` +
				`match lines at t=${t0}: ${legend.join(" ")}` +
				(corr.recorded > corr.timesteps.length
					? `<br><small>${corr.timesteps.length} of ${corr.recorded} recorded timesteps embedded; the nearest is shown.</small>`
					: "");
			query.root.dataset.query = fmtPoint(p);
		}
		for (const target of [query, pair]) {
			target.canvas.addEventListener("mousemove", (ev) => {
				const q = target.at(ev);
				if (q[0] >= sizeA[0]) return;
				state.hoverQuery = q;
				draw();
			});
			target.canvas.addEventListener("mouseleave", () => {
				state.hoverQuery = null;
				draw();
			});
			target.canvas.addEventListener("click", (ev) => {
				const q = target.at(ev);
				if (q[0] >= sizeA[0]) return;
				state.query = q;
				state.hoverQuery = null;
				draw();
			});
		}
		draw();
		return { draw };
	}

	// ---- the explorer page ---------------------------------------------------------------------------------------
	function buildExplorer(sa, st, presenterLabel) {
		let shown = corr.shown.slice();
		const controls = h("div", "dw-controls", {}, [presenterLabel]);
		sa.append(controls);
		if (corr.timesteps.length > 1) {
			controls.append(segmented(["shown", "all embedded timesteps"], "shown", (v) => {
				shown = v === "shown" ? corr.shown.slice() : corr.timesteps.slice();
				section.draw();
			}));
		}
		const section = correspondenceSection(sa, st, () => shown, (t) => corr.frames[String(t)] ?? 0);
	}

	// ---- the inspector page --------------------------------------------------------------------------------------
	function buildInspector(sa, st, presenterLabel) {
		const steps = data.steps, n = steps.length;
		const play = h("button", "dw-play", { textContent: "▶", type: "button", title: "play / pause" });
		const scrub = h("input", "dw-scrubber", { type: "range", min: 0, max: n - 1, value: state.step });
		const label = h("span", "dw-step-label");
		sa.append(h("div", "dw-controls", {}, [play, h("span", "", { textContent: "step" }), scrub, label, presenterLabel]));
		play.addEventListener("click", () => {
			if (timer) {
				stopPlay();
				play.textContent = "▶";
				return;
			}
			play.textContent = "❚❚";
			timer = setInterval(() => setStep((state.step + 1) % n), 400);
		});
		scrub.addEventListener("input", () => setStep(Number(scrub.value)));

		// x̂₀ and energies
		const view = imagePanel(data.size, st.display, "dw-step-view", "x̂₀");
		const row = h("div", "dw-row", {}, [view.root]);
		sa.append(row);
		let energyModel = null;
		if (data.energy) {
			const e = data.energy;
			const attrs = {
				terms: e.terms, colors: e.colors, n_steps: n, values: bytes(e.values).buffer, index: bytes(e.index).buffer,
				timestep: bytes(e.timestep).buffer, round: bytes(e.round).buffer, guided: bytes(e.guided).buffer,
				step: state.step, width: st.energy[0], height: st.energy[1], font_size: st.font - 1, round_offset: e.round_offset,
			};
			const handlers = {};
			energyModel = {
				get: (k) => attrs[k],
				set(k, v) {
					const old = attrs[k];
					attrs[k] = v;
					if (old !== v) (handlers[`change:${k}`] || []).forEach((f) => f());
				},
				on(ev, f) { (handlers[ev] ||= []).push(f); },
				off(ev, f) { handlers[ev] = (handlers[ev] || []).filter((g) => g !== f); },
				save_changes() { if (attrs.step !== state.step) setStep(attrs.step); },
			};
			const box = h("div", "dw-energy");
			row.append(h("div", "", {}, [h("b", "", { textContent: "Energies (hover for values, click to jump)" }), box]));
			renderEnergy({ model: energyModel, el: box });
		}

		// correspondence
		let corrView = null;
		if (corr) {
			sa.append(h("h2", "", { textContent: "Correspondence: original → edited (hover or click the original)" }));
			const seg = segmented(["this step", "grid over steps"], state.gridView, (v) => {
				state.gridView = v;
				corrView.draw();
			});
			sa.append(h("div", "dw-controls", {}, [seg]));
			const nearest = () => {
				const t = steps[state.step].t;
				return corr.timesteps.reduce((a, b) => (Math.abs(b - t) < Math.abs(a - t) ? b : a));
			};
			const spread = () => {
				const ts = corr.timesteps;
				if (ts.length <= 4) return ts.slice();
				return [0, 1, 2, 3].map((k) => ts[Math.round((k * (ts.length - 1)) / 3)]);
			};
			corrView = correspondenceSection(sa, st, () => (state.gridView === "this step" ? [nearest()] : spread()),
				(t) => corr.frames[String(t)]);
		}

		// gradients
		let gradView = null;
		if (data.gradients) gradView = gradientSection(sa, st);
		// attention
		let attView = null;
		if (att) attView = attentionSection(sa, st);

		function drawStep() {
			const k = state.step, s = steps[k];
			view.image(frames[s.frame]);
			for (const m of Object.values(masks)) view.outline(m.bits, m.color);
			for (const [hx, hy, tx, ty] of data.points || []) {
				view.arrow([hx, hy], [tx, ty], "white", st.line);
				view.ring(hx, hy, "red", st.line + 2, st.line);
				view.ring(tx, ty, "dodgerblue", st.line + 2, st.line);
			}
			if (data.tracks) {
				const upto = data.tracks.steps.map((j, m) => [j, m]).filter(([j]) => j <= k).map(([, m]) => m);
				if (upto.length) {
					const P = data.tracks.xy[0].length;
					for (let p = 0; p < P; p++) {
						const pts = upto.map((m) => data.tracks.xy[m][p]);
						view.polyline(pts, "lime", st.line);
						const last = pts[pts.length - 1];
						view.ring(last[0], last[1], "lime", st.marker, st.line);
					}
				}
			}
			view.title(`x̂₀ ${s.label}${s.guided ? " · guided" : ""}${data.tracks ? " (lime: handle track)" : ""}`);
			label.textContent = `${s.label} ${s.guided ? "guided" : "not guided"} (${k + 1}/${n})`;
			view.root.dataset.step = String(k);
		}

		function setStep(k) {
			state.step = Math.min(Math.max(0, k | 0), n - 1);
			scrub.value = String(state.step);
			drawStep();
			if (energyModel) energyModel.set("step", state.step);
			if (corrView) corrView.draw();
			if (gradView) gradView.draw();
			if (attView) attView.draw();
		}
		setStep(state.step);
	}

	function lastWith(test) {
		const k = state.step;
		let j = -1;
		for (let i = 0; i <= k; i++) if (test(i)) j = i;
		if (j < 0) for (let i = 0; i < data.steps.length; i++) if (test(i)) return i;
		return j;
	}

	function gradientSection(sa, st) {
		const gr = data.gradients, [gw, gh] = gr.grid;
		const hasDir = Object.values(gr.steps).some((m) => Object.values(m).some((e) => e.dir));
		sa.append(h("h2", "", { textContent: "Gradients per term after regional masking, and the applied update" }));
		const controls = h("div", "dw-controls");
		sa.append(controls);
		if (hasDir) {
			controls.append(segmented(["magnitude", "direction"], state.gradMode, (v) => {
				state.gradMode = v;
				draw();
			}));
		}
		const row = h("div", "dw-row");
		const caption = h("div", "dw-caption");
		sa.append(row, caption);
		const panels = {};
		for (const term of gr.terms) {
			const p = imagePanel(data.size, st.small, "dw-gradient-map", term);
			panels[term] = p;
			row.append(p.root);
			p.canvas.addEventListener("mousemove", (ev) => {
				const e = current()[term];
				if (!e) return;
				const [x, y] = p.at(ev);
				const c = Math.min(Math.floor((x * gw) / data.size[0]), gw - 1);
				const r = Math.min(Math.floor((y * gh) / data.size[1]), gh - 1);
				const dirMode = state.gradMode === "direction" && e.dir;
				const v = dirMode ? (typed(e.dir, Int8Array)[r * gw + c] / 127) * e.dir_lim : (typed(e.mag, Uint8Array)[r * gw + c] / 255) * e.mag_max;
				p.showTip(ev, `${term} at cell (${c}, ${r}): ${dirMode ? "push " : "|∂E/∂z| "}<b>${fmt(v)}</b>`);
			});
			p.canvas.addEventListener("mouseleave", () => p.hideTip());
		}
		let shown = -1;
		function current() {
			shown = lastWith((i) => gr.steps[String(i)] !== undefined);
			return gr.steps[String(shown)] || {};
		}
		function draw() {
			const maps = current();
			const s = data.steps[shown];
			const dirMode = state.gradMode === "direction";
			for (const term of gr.terms) {
				const p = panels[term], e = maps[term];
				if (!e) {
					p.image(frames[s.frame]);
					p.title(`${term}: not evaluated`);
					continue;
				}
				let title;
				if (dirMode && e.dir) {
					const d = typed(e.dir, Int8Array);
					p.field(gw, gh, (j) => luts.coolwarm((d[j] + 127) / 254));
					title = `${term}: push along d (${Math.round(e.share * 100)}% of it)`;
				} else {
					const g = typed(e.mag, Uint8Array);
					p.field(gw, gh, (j) => luts.inferno(g[j] / 255));
					title = `${term === "applied" ? "|g| (applied update)" : `|∂E_${term}/∂z|`} max ${e.mag_max.toExponential(2)}`;
				}
				for (const name of data.gradient_masks) if (masks[name]) p.outline(masks[name].bits, masks[name].color);
				if (dirMode) for (const [hx, hy, tx, ty] of data.points || []) p.arrow([hx, hy], [tx, ty], "white", st.line);
				const color = (gr.colors || {})[term] || "#222";
				p.title(`<span style="color:${color}">${title}</span> · ${s.label}${shown === state.step ? "" : " (last guided)"}`);
				p.root.dataset.step = String(shown);
			}
			caption.textContent = dirMode
				? `${gr.meaning}.`
				: "Black: no gradient (outside the term's region). Yellow: the edit region; white: a move's old place.";
		}
		draw();
		return { draw };
	}

	function attentionSection(sa, st) {
		sa.append(h("h2", "", { textContent: "Memory-bank attention (hover or click x̂₀ for a query pixel)" }));
		const select = h("select", "dw-attention-layer");
		for (const layer of att.layers) select.append(h("option", "", { value: layer, textContent: layer, selected: layer === state.attLayer }));
		select.addEventListener("change", () => {
			state.attLayer = select.value;
			draw();
		});
		const note = h("span", "dw-note");
		sa.append(h("div", "dw-controls", {}, [h("span", "", { textContent: "layer" }), select, note]));
		const row = h("div", "dw-row");
		sa.append(row);
		const query = imagePanel(data.size, st.small, "dw-attention-query", "x̂₀");
		row.append(query.root);
		const maps = [];
		const point = () => state.attHover || state.attQuery;
		query.canvas.addEventListener("mousemove", (ev) => {
			state.attHover = query.at(ev);
			draw();
		});
		query.canvas.addEventListener("mouseleave", () => {
			state.attHover = null;
			draw();
		});
		query.canvas.addEventListener("click", (ev) => {
			state.attQuery = query.at(ev);
			state.attHover = null;
			draw();
		});
		function draw() {
			const k = state.step;
			const avail = att.steps.filter((j) => attRecs[`${state.attLayer}|${j}`]);
			const before = avail.filter((j) => j <= k);
			const j = before.length ? before[before.length - 1] : avail[0];
			const rec = attRecs[`${state.attLayer}|${j}`];
			const s = data.steps[j];
			const p = point();
			query.image(frames[s.frame]);
			query.ring(p[0], p[1], "red", st.marker, st.line);
			const w = attentionOf(rec, p, data.size);
			const [gh, gw] = rec.grid;
			const groups = rec.m % (gh * gw) === 0 ? rec.m / (gh * gw) : 0;
			const names = groupNames(groups);
			while (maps.length < groups) {
				const m = imagePanel(data.size, st.small, "dw-attention-map");
				maps.push(m);
			}
			row.replaceChildren(query.root, ...maps.slice(0, groups).map((m) => m.root));
			let vmax = 0;
			for (let i = 0; i < w.length; i++) vmax = Math.max(vmax, w[i]);
			for (let g = 0; g < groups; g++) {
				const under = names[g] === "bank" && original ? original : frames[s.frame];
				maps[g].image(under);
				let sum = 0;
				for (let i = 0; i < gh * gw; i++) sum += w[g * gh * gw + i];
				maps[g].field(gw, gh, (i) => luts.viridis(w[g * gh * gw + i] / (vmax || 1)), 0.7);
				maps[g].title(`${names[g]} tokens: ${Math.round(sum * 100)}% of the weight`);
			}
			let top = 0;
			for (let i = 0; i < w.length; i++) top = Math.max(top, w[i]);
			query.title(`query ${fmtPoint(p)} · ${s.label}` + (groups ? "" : ` · ${rec.m} masked bank tokens, top weight ${Math.round(top * 100)}%`));
			note.textContent = att.recorded_steps > att.steps.length
				? `${att.steps.length} of ${att.recorded_steps} recorded steps embedded: showing ${s.label}`
				: "";
			query.root.dataset.query = fmtPoint(p);
		}
		draw();
		return { draw };
	}

	build();
	root.dataset.ready = "1";
}

main().catch((err) => {
	const root = document.getElementById("dw-root");
	root.textContent = `This page could not be drawn: ${err.message}`;
	throw err;
});
