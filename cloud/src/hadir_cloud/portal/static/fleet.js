/* The fleet console's map: Leaflet with no tile layer (the portal works offline, map tiles
   would come from the internet), the country outlines of world-atlas (Natural Earth 1:50m,
   vendored) as the background, one circle per office coloured by its worst kiosk's health. */
(function () {
  "use strict";
  var COLOURS = ["#137333", "#e8a317", "#c5221f", "#80868b"]; // sehat, perhatian, luring, lain
  // how bad a health level is: a disabled or never-seen kiosk (3) counts least
  function severity(level) { return level === 3 ? -1 : level; }

  function draw(el) {
    var kiosks = JSON.parse(document.getElementById("fleet-data").textContent);
    var map = L.map(el, { zoomSnap: 0.5, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth · Leaflet");
    var offices = {};
    kiosks.forEach(function (k) {
      var key = k.lat + "," + k.lon;
      var o = offices[key] = offices[key] || { lat: k.lat, lon: k.lon, name: k.office, level: 3, kiosks: [] };
      if (severity(k.level) > severity(o.level)) { o.level = k.level; }
      o.kiosks.push(k);
    });
    var points = [];
    Object.keys(offices).forEach(function (key) {
      var o = offices[key];
      var html = "<strong>" + escape(o.name || "") + "</strong><br>" + o.kiosks.map(function (k) {
        return '<a href="' + k.url + '">' + escape(k.id) + "</a>: " + escape(k.text);
      }).join("<br>");
      L.circleMarker([o.lat, o.lon], { radius: 9, weight: 2, color: "#fff",
        fillColor: COLOURS[Math.min(o.level, 3)], fillOpacity: 0.95 })
        .bindPopup(html).bindTooltip(o.name || "").addTo(map);
      points.push([o.lat, o.lon]);
    });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points).pad(points.length > 1 ? 0.3 : 0), { maxZoom: 9 });
    } else {
      map.setView([-2.5, 118], 4.5);
    }
    fetch(el.dataset.outline).then(function (r) { return r.json(); }).then(function (topo) {
      var land = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(land, { interactive: false, style: { color: "#7f8c99", weight: 1,
        fillColor: "#f4f1ea", fillOpacity: 1 } }).addTo(map).bringToBack();
    });
  }

  function escape(text) {
    var d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }

  function init() {
    var el = document.getElementById("fleet-map");
    if (el && typeof L !== "undefined" && typeof topojson !== "undefined") { draw(el); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
