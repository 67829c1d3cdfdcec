// Live updates: the server sends the page's changing parts as server-sent
// events; each replaces what it names.
(function () {
  var src = document.body.getAttribute("data-events");
  if (!src || !window.EventSource) { return; }
  var es = new EventSource(src);
  es.addEventListener("job", function (ev) {
    var j = JSON.parse(ev.data);
    document.getElementById("views").innerHTML = j.html;
    if (j.state !== "running") { es.close(); }
  });
  es.addEventListener("jobs", function (ev) {
    document.getElementById("jobs").innerHTML = JSON.parse(ev.data).html;
  });
})();
