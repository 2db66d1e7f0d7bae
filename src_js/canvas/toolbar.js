// The toolbar above the stage: one button per tool the model lists, Undo / Redo / Clear, the brush size and the
// overlay opacity; and the Open image… button in the footer.
import { h } from "../_util.js";
import { BRUSH_TIPS, BRUSH_TOOLS, TOOL_LABELS } from "./tools.js";

/** Build the toolbar into `toolbar` (and the open button into `footer`). `view` gives model, store, maxBrush(),
 * drawBase() and tools. Returns { rebuild, sync, openBtn, fileInput }. */
export function createToolbar(view, toolbar, footer, root) {
	const { model, store } = view;
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

	function sync() {
		const tool = model.get("tool");
		for (const [name, b] of Object.entries(toolButtons)) b.classList.toggle("dw-active", name === tool);
		undoBtn.disabled = !store.canUndo;
		redoBtn.disabled = !store.canRedo;
		const [w, hgt] = store.size;
		sizeInput.max = String(Math.min(view.maxBrush(), Math.max(8, Math.round(Math.max(w, hgt) / 4))));
		sizeInput.value = String(model.get("brush_size"));
		sizeValue.textContent = String(model.get("brush_size"));
		opacityInput.value = String(model.get("overlay_opacity"));
		sizeLabel.style.visibility = BRUSH_TOOLS.includes(tool) ? "" : "hidden"; // keeps its place: the stage never jumps
	}

	function rebuild() {
		toolbar.replaceChildren();
		for (const k of Object.keys(toolButtons)) delete toolButtons[k];
		for (const tool of model.get("tools") || []) {
			const [label, defaultTip] = TOOL_LABELS[tool] || [tool, tool];
			const tip = tool === "brush" ? BRUSH_TIPS[model.get("mask_meaning")] || defaultTip : defaultTip;
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
		sync();
	}

	undoBtn.addEventListener("click", () => store.undo());
	redoBtn.addEventListener("click", () => store.redo());
	clearBtn.addEventListener("click", () => {
		view.tools.forgetPendingHandle();
		store.commit(store.empty());
	});
	sizeInput.addEventListener("input", () => {
		model.set("brush_size", Number(sizeInput.value));
		sizeValue.textContent = sizeInput.value;
	});
	sizeInput.addEventListener("change", () => model.save_changes());
	opacityInput.addEventListener("input", () => {
		model.set("overlay_opacity", Number(opacityInput.value));
		view.drawBase();
	});
	opacityInput.addEventListener("change", () => model.save_changes());

	return { rebuild, sync, openBtn, fileInput };
}
