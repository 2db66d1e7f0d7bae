// DragCanvas front end: draw a mask, boxes, an arrow and handle→target point pairs on an image.
// anywidget lifecycle: initialize({ model }) makes the model's store (the drawing, its undo/redo history); render()
// builds one view on it and returns its cleanup. All pointer interaction happens in the view; the model is updated
// once per finished stroke/gesture. Modules: canvas/store.js, view.js, tools.js, layers.js, draw.js, toolbar.js, io.js.
import { storeOf } from "./canvas/store.js";
import { CanvasView } from "./canvas/view.js";

export default {
	initialize({ model }) {
		const store = storeOf(model);
		return () => store.dispose();
	},
	render({ model, el }) {
		const view = new CanvasView(model, storeOf(model), el);
		return () => view.dispose();
	},
};
