function j(t){return t==null?new Uint8Array(0):t instanceof Uint8Array?t:t instanceof DataView||ArrayBuffer.isView(t)?new Uint8Array(t.buffer,t.byteOffset,t.byteLength):t instanceof ArrayBuffer?new Uint8Array(t):new Uint8Array(0)}function i(t,o,n={}){let p=document.createElement(t);return o&&(p.className=o),Object.assign(p,n),p}function I(t,o){if(document.getElementById(t))return;let n=i("style","",{id:t,textContent:o});document.head.appendChild(n)}var V=`
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
`;var q=6;function D(t,o){let n=j(t);return n.length?URL.createObjectURL(new Blob([n],{type:`image/${o||"png"}`})):""}function z(t,o){let n={"max-width":"none","max-height":"none","min-width":"0","min-height":"0",margin:"0",padding:"0",border:"0","box-sizing":"content-box","image-rendering":"pixelated",...o};for(let[p,l]of Object.entries(n))t.style.setProperty(p,l,"important")}function N({model:t,el:o}){I("dragon-widgets-style",V);let n=i("div","dw-root dw-compare-root"),p=i("div","dw-compare-bar"),l=i("button","dw-view-side",{textContent:"Side by side",title:"Before and after next to each other"}),u=i("button","dw-view-wipe",{textContent:"Wipe",title:"One image: drag the handle to uncover the before image"});p.append(l,u);let r=i("div","dw-compare"),b=i("img","dw-after",{alt:"after",draggable:!1}),m=i("div","dw-after-clip dw-before-clip"),y=i("img","dw-before",{alt:"before",draggable:!1}),v=i("div","dw-divider"),S=i("div","dw-handle",{title:"Drag to compare"}),U=i("span","dw-tag",{textContent:"before"}),M=i("span","dw-tag",{textContent:"after"});U.style.left="4px",M.style.right="4px",m.appendChild(y),v.appendChild(S),r.append(b,m,v,U,M);let k=i("div","dw-compare-pair"),$=i("figure","dw-fig dw-fig-before"),B=i("figure","dw-fig dw-fig-after"),L=i("img","dw-side-before",{alt:"before",draggable:!1}),A=i("img","dw-side-after",{alt:"after",draggable:!1});$.append(L,i("figcaption","",{textContent:"before"})),B.append(A,i("figcaption","",{textContent:"after"})),k.append($,B),n.append(p,k,r),o.appendChild(n);let f=[];function x(){let e=Math.min(1,Math.max(0,Number(t.get("position"))));m.style.width=`${e*100}%`,v.style.left=`calc(${e*100}% - 1px)`}function P(e){let a=t.get("width")||1,_=t.get("height")||1,s=Math.max(a,_),d=t.get("display_width"),w=e==="side"?256:384;d||(d=s<w?a*Math.max(1,Math.floor(w/s)):a*w/s);let h=o.clientWidth||n.clientWidth;return h>0&&(d=Math.min(d,e==="side"?(h-q)/2:h)),Math.max(16,Math.floor(d))}function c(){let e=t.get("view")==="wipe"?"wipe":"side",a=t.get("width")||1,_=t.get("height")||1,s=P(e),d=s*_/a,w=j(t.get("after_data")).length>0;l.classList.toggle("dw-active",e==="side"),u.classList.toggle("dw-active",e==="wipe"),k.style.display=e==="side"?"flex":"none",r.style.display=e==="wipe"?"":"none",B.style.display=w?"":"none",n.classList.toggle("dw-no-after",!w);for(let h of[L,A])z(h,{position:"static",display:"block",width:`${s}px`,height:`${d}px`});r.style.width=`${s}px`,r.style.height=`${d}px`,z(b,{position:"absolute",left:"0",top:"0",width:"100%",height:"100%"}),z(y,{position:"absolute",left:"0",top:"0",width:`${s}px`,height:`${d}px`}),x()}function g(){for(let a of f)URL.revokeObjectURL(a);let e=t.get("image_format");f=[D(t.get("before_data"),e),D(t.get("after_data"),e)],y.src=L.src=f[0],b.src=f[1]||f[0],A.src=f[1]||"",c()}function E(e){t.set("view",e),t.save_changes(),c()}l.addEventListener("click",()=>E("side")),u.addEventListener("click",()=>E("wipe"));let C=!1;function O(e){let a=r.getBoundingClientRect();t.set("position",Math.min(1,Math.max(0,(e.clientX-a.left)/Math.max(a.width,1)))),x()}r.addEventListener("pointerdown",e=>{C=!0;try{r.setPointerCapture(e.pointerId)}catch{}O(e)}),r.addEventListener("pointermove",e=>C&&O(e)),r.addEventListener("pointerup",()=>{C=!1,t.save_changes()});let R=-1,W=new ResizeObserver(()=>{let e=o.clientWidth;e!==R&&(R=e,c())});return W.observe(o),t.on("change:before_data",g),t.on("change:after_data",g),t.on("change:position",x),t.on("change:view",c),t.on("change:display_width",c),g(),()=>{W.disconnect();for(let e of f)URL.revokeObjectURL(e);t.off("change:before_data",g),t.off("change:after_data",g),t.off("change:position",x),t.off("change:view",c),t.off("change:display_width",c)}}var H={render:N};export{H as default};
