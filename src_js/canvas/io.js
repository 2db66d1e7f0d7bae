// Images in and out of the canvas: the widget's image decoded for display, and the user's own image files (the
// Open image… picker, a file dropped or pasted on the canvas) sent to Python as binary chunks.
import { decodeImage } from "../_util.js";

/** Decode the model's image whenever it changes; `onImage(bitmap)` gets the latest one (an older decode that
 * finishes late is dropped), `onError(message)` a decoding failure. Returns { load, dispose }. */
export function imageLoader(model, onImage, onError) {
	let token = null;
	let disposed = false;
	async function load() {
		const mine = {};
		token = mine;
		let bmp = null;
		try {
			bmp = await decodeImage(model.get("image_data"), model.get("image_format"));
		} catch (err) {
			onError(`Could not decode the image: ${err}`);
		}
		if (disposed || token !== mine) return;
		onImage(bmp);
	}
	model.on("change:image_data", load);
	return {
		load,
		dispose() {
			disposed = true;
			model.off("change:image_data", load);
		},
	};
}

/** Wire the picker button, drag-and-drop on `stage` and paste on `root` to send image files to Python (when the
 * model's `accept_files` is on). `showMessage(text, isError)` reports progress and refusals; `onDone()` runs when
 * Python accepted the file. Returns { dispose }. */
export function fileUploads({ model, root, stage, openBtn, fileInput, showMessage, onDone }) {
	let seq = 0;
	let uploading = null;
	const listeners = [];
	const on = (target, type, fn) => {
		target.addEventListener(type, fn);
		listeners.push([target, type, fn]);
	};

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
		const id = `${Date.now().toString(36)}-${++seq}`;
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
		if (msg.ok) onDone();
		else showMessage(msg.message, true);
	}

	on(openBtn, "click", () => fileInput.click());
	on(fileInput, "change", () => {
		const file = fileInput.files && fileInput.files[0];
		fileInput.value = "";
		sendFile(file);
	});
	const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
	for (const type of ["dragenter", "dragover"]) {
		on(stage, type, (e) => {
			if (!hasFiles(e) || !model.get("accept_files")) return;
			e.preventDefault();
			e.stopPropagation(); // JupyterLab would open the file as a document
			e.dataTransfer.dropEffect = "copy";
			stage.classList.add("dw-drop-target");
		});
	}
	on(stage, "dragleave", () => stage.classList.remove("dw-drop-target"));
	on(stage, "drop", (e) => {
		stage.classList.remove("dw-drop-target");
		if (!hasFiles(e) || !model.get("accept_files")) return;
		e.preventDefault();
		e.stopPropagation();
		sendFile(e.dataTransfer.files[0]);
	});
	on(root, "paste", (e) => {
		const items = Array.from((e.clipboardData && e.clipboardData.items) || []);
		const item = items.find((it) => it.kind === "file" && it.type.startsWith("image/"));
		if (!item || !model.get("accept_files")) return;
		e.preventDefault();
		e.stopPropagation();
		sendFile(item.getAsFile());
	});
	model.on("msg:custom", onCustom);

	return {
		dispose() {
			for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
			model.off("msg:custom", onCustom);
		},
	};
}
