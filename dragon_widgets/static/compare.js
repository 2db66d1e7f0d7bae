function M(t){return t==null?new Uint8Array(0):t instanceof Uint8Array?t:t instanceof DataView||ArrayBuffer.isView(t)?new Uint8Array(t.buffer,t.byteOffset,t.byteLength):t instanceof ArrayBuffer?new Uint8Array(t):new Uint8Array(0)}function i(t,o,n={}){let s=document.createElement(t);return o&&(s.className=o),Object.assign(s,n),s}function I(t,o){if(document.getElementById(t))return;let n=i("style","",{id:t,textContent:o});document.head.appendChild(n)}var V=`
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
`;var q=6,P=14;function S(t,o){let n=M(t);return n.length?URL.createObjectURL(new Blob([n],{type:`image/${o||"png"}`})):""}function j(t,o){let n={"max-width":"none","max-height":"none","min-width":"0","min-height":"0",margin:"0",padding:"0",border:"0","box-sizing":"content-box","image-rendering":"pixelated",...o};for(let[s,g]of Object.entries(n))t.style.setProperty(s,g,"important")}function F({model:t,el:o}){I("dragon-widgets-style",V);let n=i("div","dw-root dw-compare-root"),s=i("div","dw-compare-bar"),g=i("button","dw-view-side",{textContent:"Side by side",title:"Before and after next to each other"}),b=i("button","dw-view-wipe",{textContent:"Wipe",title:"One image: drag the handle to uncover the before image"});s.append(g,b);let a=i("div","dw-compare"),m=i("img","dw-after",{alt:"after",draggable:!1}),y=i("div","dw-after-clip dw-before-clip"),v=i("img","dw-before",{alt:"before",draggable:!1}),k=i("div","dw-divider"),z=i("div","dw-handle",{title:"Drag to compare"}),U=i("span","dw-tag",{textContent:"before"}),$=i("span","dw-tag",{textContent:"after"});U.style.left="4px",$.style.right="4px",y.appendChild(v),k.appendChild(z),a.append(m,y,k,U,$);let L=i("div","dw-compare-pair"),E=i("figure","dw-fig dw-fig-before"),B=i("figure","dw-fig dw-fig-after"),A=i("img","dw-side-before",{alt:"before",draggable:!1}),_=i("img","dw-side-after",{alt:"after",draggable:!1});E.append(A,i("figcaption","",{textContent:"before"})),B.append(_,i("figcaption","",{textContent:"after"})),L.append(E,B),n.append(s,L,a),o.appendChild(n);let c=[];function u(){let e=Math.min(1,Math.max(0,Number(t.get("position"))));y.style.width=`${e*100}%`,k.style.left=`calc(${e*100}% - 1px)`;let r=a.clientWidth||parseFloat(a.style.width)||0,w=e*r-1,d=P/2;z.style.left=`${Math.min(Math.max(-d+1,-w),r-w-P)}px`}function N(e){let r=t.get("width")||1,w=t.get("height")||1,d=Math.max(r,w),p=t.get("display_width"),l=e==="side"?256:384;p||(p=d<l?r*Math.max(1,Math.floor(l/d)):r*l/d);let x=o.clientWidth||n.clientWidth;return x>0&&(p=Math.min(p,e==="side"?(x-q)/2:x)),Math.max(16,Math.floor(p))}function f(){let e=t.get("view")==="wipe"?"wipe":"side",r=t.get("width")||1,w=t.get("height")||1,d=N(e),p=d*w/r,l=M(t.get("after_data")).length>0;g.classList.toggle("dw-active",e==="side"),b.classList.toggle("dw-active",e==="wipe"),L.style.display=e==="side"?"flex":"none",a.style.display=e==="wipe"?"":"none",B.style.display=l?"":"none",n.classList.toggle("dw-no-after",!l);for(let x of[A,_])j(x,{position:"static",display:"block",width:`${d}px`,height:`${p}px`});a.style.width=`${d}px`,a.style.height=`${p}px`,j(m,{position:"absolute",left:"0",top:"0",width:"100%",height:"100%"}),j(v,{position:"absolute",left:"0",top:"0",width:`${d}px`,height:`${p}px`}),u()}function h(){for(let r of c)URL.revokeObjectURL(r);let e=t.get("image_format");c=[S(t.get("before_data"),e),S(t.get("after_data"),e)],v.src=A.src=c[0],m.src=c[1]||c[0],_.src=c[1]||"",f()}function O(e){t.set("view",e),t.save_changes(),f()}g.addEventListener("click",()=>O("side")),b.addEventListener("click",()=>O("wipe"));let C=!1;function R(e){let r=a.getBoundingClientRect();t.set("position",Math.min(1,Math.max(0,(e.clientX-r.left)/Math.max(r.width,1)))),u()}a.addEventListener("pointerdown",e=>{e.preventDefault(),C=!0;try{a.setPointerCapture(e.pointerId)}catch{}R(e)}),a.addEventListener("pointermove",e=>C&&R(e)),a.addEventListener("pointerup",()=>{C=!1,t.save_changes()});let W=-1,D=new ResizeObserver(()=>{let e=o.clientWidth;e!==W&&(W=e,f())});return D.observe(o),t.on("change:before_data",h),t.on("change:after_data",h),t.on("change:position",u),t.on("change:view",f),t.on("change:display_width",f),h(),()=>{D.disconnect();for(let e of c)URL.revokeObjectURL(e);t.off("change:before_data",h),t.off("change:after_data",h),t.off("change:position",u),t.off("change:view",f),t.off("change:display_width",f)}}var X={render:F};export{X as default};
