// Stylesheet of the canvas and compare widgets, injected once per page.
export const css = `
.dw-root { font: 13px/1.3 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--jp-ui-font-color1, #222);
  display: inline-flex; flex-direction: column; gap: 6px; outline: none; max-width: 100%; }
.dw-root:focus-visible { box-shadow: 0 0 0 2px #5b9bd5; border-radius: 4px; }
.dw-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; }
.dw-toolbar button { font: inherit; padding: 3px 8px; border: 1px solid #999; border-radius: 4px; cursor: pointer;
  background: var(--jp-layout-color1, #fff); color: inherit; }
.dw-toolbar button:disabled { opacity: .4; cursor: default; }
.dw-toolbar button.dw-active { background: #2f6fd0; border-color: #2f6fd0; color: #fff; }
.dw-toolbar label { display: inline-flex; align-items: center; gap: 4px; margin-left: 6px; }
.dw-toolbar input[type=range] { width: 80px; }
.dw-sep { width: 1px; align-self: stretch; background: #bbb; margin: 0 4px; }
.dw-stage { position: relative; touch-action: none; user-select: none; -webkit-user-select: none;
  background: repeating-conic-gradient(#ddd 0 25%, #f6f6f6 0 50%) 0 0 / 16px 16px; max-width: 100%; }
.dw-stage canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; display: block; }
.dw-stage canvas.dw-base { image-rendering: pixelated; image-rendering: crisp-edges; }
.dw-status { min-height: 1.3em; font-size: 12px; color: var(--jp-ui-font-color2, #555); }
.dw-status.dw-error { color: #b00020; }
.dw-compare { position: relative; overflow: hidden; touch-action: none; max-width: 100%; user-select: none; -webkit-user-select: none; }
.dw-compare img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated; }
.dw-compare .dw-after-clip { position: absolute; left: 0; top: 0; height: 100%; overflow: hidden; }
.dw-compare .dw-divider { position: absolute; top: 0; bottom: 0; width: 2px; background: #fff; box-shadow: 0 0 3px #000; }
.dw-compare .dw-handle { position: absolute; top: 50%; left: -7px; width: 14px; height: 28px; margin-top: -14px;
  background: #fff; border-radius: 4px; box-shadow: 0 0 3px #000; cursor: ew-resize; }
.dw-compare { cursor: ew-resize; }
.dw-compare-bar { display: flex; gap: 4px; }
.dw-compare-bar button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #999; border-radius: 4px;
  cursor: pointer; background: var(--jp-layout-color1, #fff); color: inherit; }
.dw-compare-bar button.dw-active { background: #2f6fd0; border-color: #2f6fd0; color: #fff; }
.dw-compare-pair { display: flex; gap: 6px; }
.dw-compare-pair figure { margin: 0; padding: 0; display: flex; flex-direction: column; align-items: center; }
.dw-compare-pair figcaption { font-size: 11px; color: var(--jp-ui-font-color2, #555); }
.dw-compare .dw-tag { position: absolute; top: 4px; padding: 1px 5px; font-size: 11px; background: rgba(0,0,0,.55); color: #fff; border-radius: 3px; }
.dw-footer { display: flex; align-items: flex-start; gap: 8px; }
.dw-footer .dw-status { flex: 1 1 auto; min-width: 0; }
.dw-footer button.dw-open { flex: none; font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #999;
  border-radius: 4px; cursor: pointer; background: var(--jp-layout-color1, #fff); color: inherit; }
.dw-stage.dw-drop-target { outline: 3px dashed #2f6fd0; outline-offset: 2px; }
.dw-drop-hint { position: absolute; inset: 0; display: none; align-items: center; justify-content: center;
  background: rgba(47,111,208,.25); color: #fff; font-weight: 600; text-shadow: 0 0 3px #000; pointer-events: none; }
.dw-stage.dw-drop-target .dw-drop-hint { display: flex; }
/* EditorApp: canvas left, controls + result right when the app is at least 900 px wide, stacked below that; the
   container query keeps it right inside any notebook front end. 900, not more: at 1440 px classic Notebook's
   fixed-width page gives the app 967 px, JupyterLab 3.6 with its file browser open 950 px */
.dw-editor-app { container-type: inline-size; container-name: dw-editor; max-width: 100%; box-sizing: border-box; }
.dw-editor-app .dw-editor-body { display: flex; flex-flow: row wrap; align-items: flex-start; width: 100%; }
.dw-editor-app .dw-editor-left { flex: 0 1 auto; min-width: 0; max-width: 100%; margin-right: 16px; }
.dw-editor-app .dw-editor-right { flex: 1 1 100%; min-width: 0; max-width: 100%; overflow: visible; }
/* the canvas is as wide as its image; its toolbar wraps above it instead of widening the column */
.dw-editor-app .dw-editor-left .dw-canvas { width: min-content; min-width: min(320px, 100%); }
.dw-editor-app .dw-editor-right .widget-hbox { flex-wrap: wrap; }
/* the image canvas and, in Appearance / Paste, the reference canvas beside it (below it when there is no room) */
.dw-editor-app .dw-editor-canvases { flex-wrap: wrap; align-items: flex-start; }
.dw-editor-app .dw-editor-canvases > .dw-reference-box { margin-left: 12px; }
/* the prompt fills the column without overflowing it (width: 100% plus its margins overflowed by 4 px) */
.dw-editor-app .dw-editor-right .widget-text { width: auto !important; max-width: 100%; box-sizing: border-box; }
.dw-editor-app .dw-editor-result { flex-wrap: nowrap !important; width: 100%; }
.dw-editor-app .dw-preview-cell { flex: 1 1 0; min-width: 0; max-width: 256px; margin-right: 8px; }
.dw-editor-app .dw-compare-cell { flex: 2 1 0; min-width: 0; }
.dw-editor-app .dw-preview-cell img { width: 100%; height: auto; max-width: 256px; margin: 0 !important;
  image-rendering: pixelated; }
.dw-editor-app .widget-toggle-buttons .widget-toggle-button { width: auto; min-width: 72px; padding: 0 10px; }
.dw-editor-app .dw-wide-button { width: auto; min-width: 64px; padding: 0 10px; }
@container dw-editor (min-width: 900px) {
  .dw-editor-app .dw-editor-body { flex-wrap: nowrap; }
  .dw-editor-app .dw-editor-right { flex: 1 1 0; }
}
`;
