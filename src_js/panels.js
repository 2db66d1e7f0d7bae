// Energy panel of the inspection tools: every energy term per guidance evaluation, drawn in the
// browser so hovering shows values without a kernel round trip. Arrays arrive as binary buffers.
// Self-contained (no imports): it runs as-is or bundled into dragon_widgets/static/panels.js.

/** @param {DataView|ArrayBuffer|Uint8Array|null} v @param {any} Type */
function typed(v, Type) {
	if (!v) return new Type(0);
	const buf = v instanceof ArrayBuffer ? v : v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
	return new Type(buf);
}

function fmt(x) {
	if (!Number.isFinite(x)) return "–";
	const a = Math.abs(x);
	return a !== 0 && (a < 1e-2 || a >= 1e4) ? x.toExponential(2) : x.toFixed(3);
}

/** Tick positions: whole sampler steps 1, 2, 5 or 10 apart, at most about ten of them. */
function ticks(lo, hi) {
	const span = Math.max(hi - lo, 1);
	const step = [1, 2, 5, 10, 20, 50].find((s) => span / s <= 10) || 100;
	const out = [];
	for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
	return out;
}

/** @param {{ model: any, el: HTMLElement }} ctx */
function render({ model, el }) {
	const root = document.createElement("div");
	root.className = "dw-energy-panel";
	root.style.cssText = "position:relative;font-family:sans-serif;display:inline-block";
	const canvas = document.createElement("canvas");
	canvas.style.cursor = "crosshair";
	const tip = document.createElement("div");
	tip.className = "dw-energy-tip";
	tip.style.cssText =
		"position:absolute;display:none;pointer-events:none;background:rgba(255,255,255,.95);" +
		"border:1px solid #888;padding:3px 5px;white-space:nowrap;z-index:10";
	const bar = document.createElement("label");
	const logBox = document.createElement("input");
	logBox.type = "checkbox";
	bar.append(logBox, " log scale");
	const legend = document.createElement("div");
	legend.className = "dw-energy-legend";
	root.append(legend, canvas, tip, bar);
	el.append(root);

	let data = null;
	let hover = -1;

	function fontSize() {
		return model.get("font_size") || 11;
	}

	function load() {
		const terms = model.get("terms") || [];
		const n = model.get("n_steps") || 0;
		const off = model.get("round_offset") ?? 0.3;
		data = {
			terms,
			colors: model.get("colors") || [],
			n,
			values: typed(model.get("values"), Float32Array),
			index: typed(model.get("index"), Int32Array),
			timestep: typed(model.get("timestep"), Int32Array),
			round: typed(model.get("round"), Int32Array),
			guided: typed(model.get("guided"), Uint8Array),
		};
		// x of each column: its sampler step i, time-travel rounds just right of it
		data.pos = new Float64Array(n);
		data.evaluated = new Uint8Array(n);
		let lo = Infinity, hi = -Infinity;
		for (let j = 0; j < n; j++) {
			data.pos[j] = data.index[j] + data.round[j] * off;
			for (let k = 0; k < terms.length; k++) {
				if (Number.isFinite(data.values[k * n + j])) data.evaluated[j] = 1;
			}
			if (data.evaluated[j]) {
				lo = Math.min(lo, data.pos[j]);
				hi = Math.max(hi, data.pos[j]);
			}
		}
		if (!Number.isFinite(lo)) { lo = 0; hi = Math.max(n - 1, 1); }
		data.lo = lo - 0.6;
		data.hi = hi + 0.6;
		data.last = hi;
		const fs = fontSize();
		root.style.fontSize = `${fs}px`;
		legend.innerHTML = terms
			.map((t, k) => `<span style="color:${data.colors[k]};margin-right:8px">■ ${t}</span>`)
			.join("");
	}

	function val(k, j) {
		return data.values[k * data.n + j];
	}

	function geometry() {
		const W = model.get("width"), H = model.get("height");
		const fs = fontSize();
		const pad = { left: Math.round(fs * 4.6), right: 10, top: Math.round(fs * 1.6), bottom: Math.round(fs * 2.9) };
		const log = logBox.checked;
		let lo = Infinity, hi = -Infinity;
		for (let i = 0; i < data.values.length; i++) {
			let v = data.values[i];
			if (!Number.isFinite(v) || (log && v <= 0)) continue;
			if (log) v = Math.log10(v);
			lo = Math.min(lo, v);
			hi = Math.max(hi, v);
		}
		if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
		if (hi === lo) { hi = lo + 1; }
		const pw = W - pad.left - pad.right, ph = H - pad.top - pad.bottom;
		const x = (p) => pad.left + ((p - data.lo) * pw) / (data.hi - data.lo);
		const xj = (j) => x(Math.min(data.pos[j], data.hi));
		const y = (v) => {
			const u = log ? Math.log10(v) : v;
			return pad.top + ph - ((u - lo) / (hi - lo)) * ph;
		};
		return { W, H, x, xj, y, lo, hi, log, pw, ph, pad, fs };
	}

	function draw() {
		if (!data) load();
		const g = geometry();
		const pad = g.pad;
		canvas.width = g.W;
		canvas.height = g.H;
		const c = canvas.getContext("2d");
		c.clearRect(0, 0, g.W, g.H);
		c.font = `${g.fs}px sans-serif`;
		const step = model.get("step");
		root.dataset.step = String(step);
		// time-travel rounds: shade each run of round > 0 together with the step it repeats
		c.fillStyle = "rgba(255,165,0,.18)";
		for (let j = 0; j < data.n; j++) {
			if (data.round[j] > 0 && (j === 0 || data.round[j - 1] === 0)) {
				let e = j;
				while (e + 1 < data.n && data.round[e + 1] > 0) e++;
				const a = g.xj(Math.max(j - 1, 0)), b = g.xj(e);
				c.fillRect(a - 4, pad.top, b - a + 8, g.ph);
			}
		}
		// axes
		c.strokeStyle = "#444";
		c.lineWidth = 1;
		c.beginPath();
		c.moveTo(pad.left, pad.top);
		c.lineTo(pad.left, pad.top + g.ph);
		c.lineTo(pad.left + g.pw, pad.top + g.ph);
		c.stroke();
		c.fillStyle = "#222";
		c.textAlign = "right";
		for (const u of [g.lo, (g.lo + g.hi) / 2, g.hi]) {
			const v = g.log ? 10 ** u : u;
			c.fillText(fmt(v), pad.left - 4, g.y(v) + g.fs / 3);
		}
		c.textAlign = "center";
		for (const t of ticks(data.lo, data.hi)) {
			c.fillText(String(t), g.x(t), pad.top + g.ph + g.fs + 2);
		}
		c.fillText("sampler step i (shaded: time-travel rounds; ticks: guided)", pad.left + g.pw / 2, g.H - 3);
		// guided-step ticks
		c.strokeStyle = "#000";
		for (let j = 0; j < data.n; j++) {
			if (!data.guided[j] || !data.evaluated[j]) continue;
			c.beginPath();
			c.moveTo(g.xj(j), pad.top + g.ph);
			c.lineTo(g.xj(j), pad.top + g.ph - 5);
			c.stroke();
		}
		// curves
		const lw = Math.max(1.5, g.fs / 7);
		c.lineWidth = lw;
		data.terms.forEach((_t, k) => {
			c.strokeStyle = c.fillStyle = data.colors[k] || "#333";
			c.beginPath();
			let pen = false;
			for (let j = 0; j < data.n; j++) {
				const v = val(k, j);
				if (!Number.isFinite(v) || (g.log && v <= 0)) continue;
				pen ? c.lineTo(g.xj(j), g.y(v)) : c.moveTo(g.xj(j), g.y(v));
				pen = true;
			}
			c.stroke();
			const r = lw;
			for (let j = 0; j < data.n; j++) {
				const v = val(k, j);
				if (Number.isFinite(v) && !(g.log && v <= 0)) c.fillRect(g.xj(j) - r, g.y(v) - r, 2 * r, 2 * r);
			}
		});
		// cursor: the scrubbed step (pinned to the right edge once guidance is over)
		if (step >= 0 && step < data.n) {
			const past = data.pos[step] > data.hi;
			c.strokeStyle = "rgba(0,0,0,.6)";
			c.lineWidth = Math.max(1, lw * 0.7);
			c.setLineDash([4, 3]);
			c.beginPath();
			c.moveTo(g.xj(step), pad.top);
			c.lineTo(g.xj(step), pad.top + g.ph);
			c.stroke();
			c.setLineDash([]);
			if (past) {
				c.fillStyle = "#444";
				c.textAlign = "right";
				c.fillText(`step i=${data.index[step]}: no energies after i=${Math.floor(data.last)} →`,
					pad.left + g.pw, pad.top - 4);
			}
		}
		if (hover >= 0) {
			c.strokeStyle = "rgba(0,0,255,.35)";
			c.lineWidth = 1;
			c.beginPath();
			c.moveTo(g.xj(hover), pad.top);
			c.lineTo(g.xj(hover), pad.top + g.ph);
			c.stroke();
		}
	}

	/** The column nearest the pointer (among those on the axis). */
	function column(ev) {
		if (!data || data.n === 0) return -1;
		const rect = canvas.getBoundingClientRect();
		const px = ((ev.clientX - rect.left) * canvas.width) / rect.width;
		const g = geometry();
		let best = -1, dist = Infinity;
		for (let j = 0; j < data.n; j++) {
			if (data.pos[j] > data.hi) continue;
			const d = Math.abs(g.xj(j) - px) + (data.evaluated[j] ? 0 : 0.5);
			if (d < dist) { dist = d; best = j; }
		}
		return best;
	}

	canvas.addEventListener("mousemove", (ev) => {
		hover = column(ev);
		if (hover < 0) return;
		const r = data.round[hover];
		const rows = data.terms.map(
			(t, k) => `<div><span style="color:${data.colors[k]}">■</span> ${t}: <b>${fmt(val(k, hover))}</b></div>`,
		);
		tip.innerHTML =
			`<div>i=${data.index[hover]} t=${data.timestep[hover]}${r ? ` · time-travel round ${r}` : ""}` +
			`${data.guided[hover] ? " · guided" : " · not guided"}</div>` + rows.join("");
		const rect = canvas.getBoundingClientRect();
		tip.style.left = `${Math.min(ev.clientX - rect.left + 12, canvas.width - 12 * fontSize())}px`;
		tip.style.top = `${ev.clientY - rect.top + 20}px`;
		tip.style.display = "block";
		draw();
	});
	canvas.addEventListener("mouseleave", () => {
		hover = -1;
		tip.style.display = "none";
		draw();
	});
	canvas.addEventListener("click", (ev) => {
		const j = column(ev);
		if (j < 0) return;
		model.set("step", j);
		model.save_changes();
	});
	logBox.addEventListener("change", draw);

	const reload = () => {
		load();
		draw();
	};
	const fields = ["values", "terms", "colors", "index", "timestep", "round", "guided", "n_steps", "font_size",
		"round_offset"];
	for (const name of fields) model.on(`change:${name}`, reload);
	model.on("change:step", draw);
	model.on("change:width", draw);
	model.on("change:height", draw);
	reload();
	return () => {
		for (const name of fields) model.off(`change:${name}`, reload);
		model.off("change:step", draw);
		model.off("change:width", draw);
		model.off("change:height", draw);
	};
}

export { render };
export default { render };
