// Energy panel of the inspection tools: every energy term per guidance evaluation, drawn in the
// browser so hovering shows values without a kernel round trip. Arrays arrive as binary buffers.
// Self-contained (no imports): it runs as-is or bundled into dragon_widgets/static/panels.js.

/** @param {DataView|ArrayBuffer|Uint8Array|null} v @param {any} Type */
function typed(v, Type) {
	if (!v) return new Type(0);
	const buf = v instanceof ArrayBuffer ? v : v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
	return new Type(buf);
}

const PAD = { left: 52, right: 10, top: 10, bottom: 30 };

function fmt(x) {
	if (!Number.isFinite(x)) return "–";
	const a = Math.abs(x);
	return a !== 0 && (a < 1e-2 || a >= 1e4) ? x.toExponential(2) : x.toFixed(3);
}

/** @param {{ model: any, el: HTMLElement }} ctx */
function render({ model, el }) {
	const root = document.createElement("div");
	root.className = "dw-energy-panel";
	root.style.cssText = "position:relative;font:11px sans-serif;display:inline-block";
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

	function load() {
		const terms = model.get("terms") || [];
		const n = model.get("n_steps") || 0;
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
		legend.innerHTML = terms
			.map((t, k) => `<span style="color:${data.colors[k]};margin-right:8px">■ ${t}</span>`)
			.join("");
	}

	function val(k, j) {
		return data.values[k * data.n + j];
	}

	function geometry() {
		const W = model.get("width"), H = model.get("height");
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
		const pw = W - PAD.left - PAD.right, ph = H - PAD.top - PAD.bottom;
		const x = (j) => PAD.left + (data.n > 1 ? (j * pw) / (data.n - 1) : pw / 2);
		const y = (v) => {
			const u = log ? Math.log10(v) : v;
			return PAD.top + ph - ((u - lo) / (hi - lo)) * ph;
		};
		return { W, H, x, y, lo, hi, log, pw, ph };
	}

	function draw() {
		if (!data) load();
		const g = geometry();
		canvas.width = g.W;
		canvas.height = g.H;
		const c = canvas.getContext("2d");
		c.clearRect(0, 0, g.W, g.H);
		const step = model.get("step");
		root.dataset.step = String(step);
		// time-travel rounds: shade each run of round > 0 together with the step it repeats
		c.fillStyle = "rgba(255,165,0,.18)";
		for (let j = 0; j < data.n; j++) {
			if (data.round[j] > 0 && (j === 0 || data.round[j - 1] === 0)) {
				let e = j;
				while (e + 1 < data.n && data.round[e + 1] > 0) e++;
				const a = g.x(Math.max(j - 1, 0)), b = g.x(e);
				c.fillRect(a - 3, PAD.top, b - a + 6, g.ph);
			}
		}
		// axes
		c.strokeStyle = "#444";
		c.lineWidth = 1;
		c.beginPath();
		c.moveTo(PAD.left, PAD.top);
		c.lineTo(PAD.left, PAD.top + g.ph);
		c.lineTo(PAD.left + g.pw, PAD.top + g.ph);
		c.stroke();
		c.fillStyle = "#222";
		c.textAlign = "right";
		for (const u of [g.lo, (g.lo + g.hi) / 2, g.hi]) {
			const v = g.log ? 10 ** u : u;
			c.fillText(fmt(v), PAD.left - 4, g.y(v) + 3);
		}
		c.textAlign = "center";
		const every = Math.max(1, Math.ceil(data.n / 10));
		for (let j = 0; j < data.n; j += every) c.fillText(String(data.index[j]), g.x(j), PAD.top + g.ph + 12);
		c.fillText("sampler step i (shaded: time-travel rounds; ticks: guided)", PAD.left + g.pw / 2, g.H - 3);
		// guided-step ticks
		c.strokeStyle = "#000";
		for (let j = 0; j < data.n; j++) {
			if (!data.guided[j]) continue;
			c.beginPath();
			c.moveTo(g.x(j), PAD.top + g.ph);
			c.lineTo(g.x(j), PAD.top + g.ph - 4);
			c.stroke();
		}
		// curves
		c.lineWidth = 1.5;
		data.terms.forEach((_t, k) => {
			c.strokeStyle = c.fillStyle = data.colors[k] || "#333";
			c.beginPath();
			let pen = false;
			for (let j = 0; j < data.n; j++) {
				const v = val(k, j);
				if (!Number.isFinite(v) || (g.log && v <= 0)) continue;
				pen ? c.lineTo(g.x(j), g.y(v)) : c.moveTo(g.x(j), g.y(v));
				pen = true;
			}
			c.stroke();
			for (let j = 0; j < data.n; j++) {
				const v = val(k, j);
				if (Number.isFinite(v) && !(g.log && v <= 0)) c.fillRect(g.x(j) - 1.5, g.y(v) - 1.5, 3, 3);
			}
		});
		// cursor: the scrubbed step
		if (step >= 0 && step < data.n) {
			c.strokeStyle = "rgba(0,0,0,.6)";
			c.setLineDash([4, 3]);
			c.beginPath();
			c.moveTo(g.x(step), PAD.top);
			c.lineTo(g.x(step), PAD.top + g.ph);
			c.stroke();
			c.setLineDash([]);
		}
		if (hover >= 0) {
			c.strokeStyle = "rgba(0,0,255,.35)";
			c.beginPath();
			c.moveTo(g.x(hover), PAD.top);
			c.lineTo(g.x(hover), PAD.top + g.ph);
			c.stroke();
		}
	}

	function column(ev) {
		if (!data || data.n === 0) return -1;
		const rect = canvas.getBoundingClientRect();
		const px = ((ev.clientX - rect.left) * canvas.width) / rect.width;
		const g = geometry();
		const j = data.n > 1 ? Math.round(((px - PAD.left) * (data.n - 1)) / g.pw) : 0;
		return Math.min(Math.max(j, 0), data.n - 1);
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
		tip.style.left = `${Math.min(ev.clientX - rect.left + 12, canvas.width - 150)}px`;
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
	for (const name of ["values", "terms", "colors", "index", "timestep", "round", "guided", "n_steps"]) {
		model.on(`change:${name}`, reload);
	}
	model.on("change:step", draw);
	model.on("change:width", draw);
	model.on("change:height", draw);
	reload();
	return () => {
		for (const name of ["values", "terms", "colors", "index", "timestep", "round", "guided", "n_steps"]) {
			model.off(`change:${name}`, reload);
		}
		model.off("change:step", draw);
	};
}

export default { render };
