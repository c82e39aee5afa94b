// Mounts the Partnerloop referral widget where this script stands:
//   <script src="https://PARTNERLOOP/embed/snippet.js" data-group="GROUP" data-token="TOKEN" async></script>
// The token (from POST /v1/embed/tokens) goes in the frame's URL fragment,
// and the frame grows to the height the widget reports.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src).origin;
  var frame = document.createElement('iframe');
  frame.src = origin + '/embed/?group=' + encodeURIComponent(script.dataset.group || '') + '#' + encodeURIComponent(script.dataset.token || '');
  frame.title = script.dataset.title || 'Refer a friend';
  frame.style.cssText = 'width:100%;border:0;height:320px;display:block';
  window.addEventListener('message', function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.partnerloop === 'height' && typeof data.height === 'number' && data.height > 0 && data.height < 10000) {
      frame.style.height = Math.ceil(data.height) + 'px';
    }
  });
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
