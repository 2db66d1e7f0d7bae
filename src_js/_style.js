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
.dw-compare { position: relative; overflow: hidden; touch-action: none; max-width: 100%; }
.dw-compare img { position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated; }
.dw-compare .dw-after-clip { position: absolute; left: 0; top: 0; height: 100%; overflow: hidden; }
.dw-compare .dw-divider { position: absolute; top: 0; bottom: 0; width: 2px; background: #fff; box-shadow: 0 0 3px #000; }
.dw-compare .dw-tag { position: absolute; top: 4px; padding: 1px 5px; font-size: 11px; background: rgba(0,0,0,.55); color: #fff; border-radius: 3px; }
`;
