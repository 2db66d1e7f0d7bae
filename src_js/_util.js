// Small helpers shared by the widget entry points (not an entry: the name starts with "_").

/** View any binary trait value (DataView, ArrayBuffer, typed array, null) as a Uint8Array. */
export function asBytes(value) {
	if (value == null) return new Uint8Array(0);
	if (value instanceof Uint8Array) return value;
	if (value instanceof DataView || ArrayBuffer.isView(value)) {
		return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
	}
	if (value instanceof ArrayBuffer) return new Uint8Array(value);
	return new Uint8Array(0);
}

/** A DataView over a private copy of `bytes`, ready to be sent as a binary trait. */
export function toDataView(bytes) {
	const copy = bytes.slice();
	return new DataView(copy.buffer);
}

/** Decode encoded image bytes (PNG/JPEG) into an ImageBitmap; null for empty input. */
export async function decodeImage(value, format) {
	const bytes = asBytes(value);
	if (!bytes.length) return null;
	const blob = new Blob([bytes], { type: `image/${format || "png"}` });
	return await createImageBitmap(blob);
}

/** Create an element with a class name and optional properties. */
export function h(tag, className, props = {}) {
	const el = document.createElement(tag);
	if (className) el.className = className;
	Object.assign(el, props);
	return el;
}

/** Inject a stylesheet once per document. */
export function ensureStyle(id, css) {
	if (document.getElementById(id)) return;
	const style = h("style", "", { id, textContent: css });
	document.head.appendChild(style);
}

export function equalBytes(a, b) {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}
