#include "cli/report.hpp"

#include "cli/common.hpp"

namespace mmi::cli {

namespace {

// JSON inside <script>: `<` only occurs in strings, where \u003c means the same and cannot close
// the script element.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

const char* kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #1d2433; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde; }
.sub { color: #5a6275; margin-bottom: 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eef; text-align: right; } th { background: #f4f6fb; }
td.l, th.l { text-align: left; }
th[data-sort=asc]::after { content: " ▲"; } th[data-sort=desc]::after { content: " ▼"; }
.chart { margin: 8px 0 16px; } .chart text { font-size: 11px; fill: #333; }
.bar { fill: #4a78c2; } .bar.neg { fill: #c2604a; } .base { stroke: #222; stroke-dasharray: 4 3; }
#errors { color: #b00; white-space: pre-wrap; }
)";

const char* kScript = R"JS(
(function () {
  var root = document.documentElement;
  function fail(message) {
    root.setAttribute('data-status', 'error');
    var p = document.getElementById('errors');
    p.hidden = false;
    p.textContent += message + '\n';
  }
  window.addEventListener('error', function (e) { fail(String(e.message || e)); });
  try {
    var data = JSON.parse(document.getElementById('impact-data').textContent);
    var sweep = Array.isArray(data);
    var impacts = sweep ? data : [data];
    var NS = 'http://www.w3.org/2000/svg';
    var charts = 0;
    var main = document.getElementById('main');
    function fmt(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
    function h(tag, text, parent, cls) {
      var e = document.createElement(tag);
      if (text !== undefined && text !== null) e.textContent = text;
      if (cls) e.className = cls;
      (parent || main).appendChild(e);
      return e;
    }
    function s(tag, attrs, parent, text) {
      var e = document.createElementNS(NS, tag);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      parent.appendChild(e);
      return e;
    }
    // Axis labels at a round step (1, 2 or 5 × 10^n) from min to max, 0 among them whenever the
    // range spans it (every axis here includes 0); whole numbers unless `decimals`.
    function ticks(min, max, decimals) {
      var raw = (max - min) / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
      var step = [1, 2, 5, 10].map(function (m) { return m * p; })
                              .filter(function (st) { return st >= raw; })[0];
      if (!decimals) step = Math.max(1, Math.round(step));
      var out = [];
      for (var k = Math.ceil(min / step); k * step <= max + step * 1e-9; k++) out.push(k * step);
      return out;
    }
    // A vertical bar chart: bars [{label, value, tip}], optional dashed reference line.
    function barChart(parent, bars, opts) {
      var W = 900, H = 260, L = 70, B = 46, T = 14, R = 10;
      var svg = s('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                           'aria-label': opts.title, 'class': 'chart', 'data-chart': opts.kind }, parent);
      var values = bars.map(function (b) { return b.value; });
      if (opts.reference !== undefined) values.push(opts.reference);
      var max = Math.max.apply(null, values.concat([0])), min = Math.min.apply(null, values.concat([0]));
      if (max === min) max = min + 1;
      var y = function (v) { return T + (H - T - B) * (1 - (v - min) / (max - min)); };
      s('line', { x1: L, y1: y(Math.max(min, 0)), x2: W - R, y2: y(Math.max(min, 0)), stroke: '#999' }, svg);
      ticks(min, max, opts.decimals).forEach(function (v) {
        s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg,
          opts.decimals ? v.toFixed(1) : fmt(Math.round(v)));
      });
      if (!bars.length) {
        s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, svg, opts.empty || 'nothing to show');
      }
      var slot = (W - L - R) / Math.max(1, bars.length);
      var every = Math.max(1, Math.ceil(bars.length / Math.floor((W - L - R) / 64)));  // labels ≥ 64 px apart
      bars.forEach(function (b, i) {
        var base = 0;  // every axis starts at zero
        var top = y(Math.max(b.value, base)), bottom = y(Math.min(b.value, base));
        var r = s('rect', { x: L + i * slot + slot * 0.1, y: top, width: Math.max(1, slot * 0.8),
                            height: Math.max(b.value !== base ? 1 : 0, bottom - top),
                            'class': 'bar' + (b.negative ? ' neg' : '') }, svg);
        s('title', {}, r, b.tip || (b.label + ': ' + fmt(b.value)));
        if (i % every === 0)
          s('text', { x: L + i * slot + slot / 2, y: H - B + 16, 'text-anchor': 'middle' }, svg, b.label);
      });
      if (opts.reference !== undefined) {
        s('line', { x1: L, y1: y(opts.reference), x2: W - R, y2: y(opts.reference), 'class': 'base' }, svg);
        s('text', { x: W - R, y: y(opts.reference) - 4, 'text-anchor': 'end' }, svg, opts.referenceLabel);
      }
      s('text', { x: L + (W - L - R) / 2, y: H - 8, 'text-anchor': 'middle' }, svg, opts.axis);
      if (opts.scale) s('text', { x: L + 4, y: T + 10, 'class': 'scale' }, svg, opts.scale);
      charts++;
      return svg;
    }
    function table(parent, head, rows, left) {
      var t = h('table', null, parent), tr = h('tr', null, t);
      head.forEach(function (c, i) { h('th', c, tr, left.indexOf(i) >= 0 ? 'l' : ''); });
      rows.forEach(function (r) {
        var row = h('tr', null, t);
        r.forEach(function (c, i) { h('td', c, row, left.indexOf(i) >= 0 ? 'l' : ''); });
      });
      return t;
    }
    function valueText(v) {
      if (v !== null && typeof v === 'object')
        return Object.keys(v).map(function (k) { return k + '=' + v[k]; }).join(', ');
      return String(v);
    }
    function label(im) { return sweep ? 'value ' + valueText(im.value) : 'variant'; }
    function signed(n) { return n === null || n === undefined ? '–' : (n > 0 ? '+' : '') + fmt(n); }
    function pct(n) { return n === null || n === undefined ? '–' : (n > 0 ? '+' : '') + n + '%'; }
    function keyText(v) { return v === null ? '(missing)' : String(v); }
    var measureNames = Object.keys(impacts[0].measures || {});
    // A table whose columns sort on a click (numbers as numbers), in the page.
    function sortableTable(parent, head, rows, left) {
      var t = table(parent, head, rows.map(function (r) { return r.map(function (c) { return c.text; }); }), left);
      t.className = 'sortable';
      var trs = Array.prototype.slice.call(t.rows, 1);
      trs.forEach(function (tr, i) { tr.sortValues = rows[i].map(function (c) { return c.sort; }); });
      Array.prototype.forEach.call(t.rows[0].cells, function (th, col) {
        th.style.cursor = 'pointer';
        th.title = 'sort';
        th.addEventListener('click', function () {
          var dir = th.getAttribute('data-sort') === 'asc' ? -1 : 1;
          Array.prototype.forEach.call(t.rows[0].cells, function (c) { c.removeAttribute('data-sort'); });
          th.setAttribute('data-sort', dir === 1 ? 'asc' : 'desc');
          trs.sort(function (a, b) {
            var x = a.sortValues[col], y = b.sortValues[col];
            if (x === y) return 0;
            if (x === null) return 1;
            if (y === null) return -1;
            return (x < y ? -1 : 1) * dir;
          });
          trs.forEach(function (tr) { t.appendChild(tr); });
        });
      });
      return t;
    }
    // Measures first: the money.
    if (measureNames.length) {
      h('h2', 'Measures');
      var rows = [];
      impacts.forEach(function (im) {
        measureNames.forEach(function (m) {
          var x = im.measures[m];
          rows.push([label(im), m, fmt(x.baseline), fmt(x.variant), signed(x.delta), pct(x.delta_pct), fmt(x.missing)]);
        });
      });
      table(main, ['', 'measure', 'baseline', 'variant', 'delta', 'delta %', 'missing'], rows, [0, 1]);
    }
    // Grids: a line over a 1-D sweep, a heat map over a 2-D grid, of the chosen measure's delta.
    var gridKeys = sweep && impacts[0].value !== null && typeof impacts[0].value === 'object'
                   ? Object.keys(impacts[0].value) : (sweep ? ['value'] : []);
    function metric(im, m) { return m === '' ? im.covered_days.change : im.measures[m].delta; }
    function gridCharts(parent, m) {
      parent.textContent = '';
      var what = m === '' ? 'covered days change' : m + ' delta';
      if (gridKeys.length === 1) {
        var W = 900, H = 260, L = 80, B = 46, T = 14, R = 10;
        var svg = s('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, 'class': 'chart',
                             'data-chart': 'sweep-line', role: 'img', 'aria-label': what + ' per value' }, parent);
        var vals = impacts.map(function (im) { return metric(im, m); });
        var max = Math.max.apply(null, vals.concat([0])), min = Math.min.apply(null, vals.concat([0]));
        if (max === min) max = min + 1;
        var x = function (i) { return L + (W - L - R) * (impacts.length > 1 ? i / (impacts.length - 1) : 0.5); };
        var y = function (v) { return T + (H - T - B) * (1 - (v - min) / (max - min)); };
        s('line', { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: '#999' }, svg);
        ticks(min, max, false).forEach(function (v) {
          s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg, fmt(Math.round(v)));
        });
        s('polyline', { points: vals.map(function (v, i) { return x(i) + ',' + y(v); }).join(' '),
                        fill: 'none', stroke: '#4a78c2', 'stroke-width': 2 }, svg);
        vals.forEach(function (v, i) {
          var c = s('circle', { cx: x(i), cy: y(v), r: 4, fill: '#4a78c2' }, svg);
          s('title', {}, c, valueText(impacts[i].value) + ': ' + signed(v));
          var last = impacts.length > 1 && i === impacts.length - 1;  // kept inside the chart
          s('text', { x: x(i), y: H - B + 16, 'text-anchor': last ? 'end' : 'middle' }, svg,
            valueText(impacts[i].value));
        });
        s('text', { x: L + (W - L - R) / 2, y: H - 8, 'text-anchor': 'middle' }, svg, what + ' per swept value');
        charts++;
      } else if (gridKeys.length === 2) {
        var rowsV = [], colsV = [];
        impacts.forEach(function (im) {
          var a = im.value[gridKeys[0]], b = im.value[gridKeys[1]];
          if (rowsV.indexOf(a) < 0) rowsV.push(a);
          if (colsV.indexOf(b) < 0) colsV.push(b);
        });
        var cw = Math.max(40, Math.min(90, 780 / colsV.length)), ch = 28, L2 = 120, T2 = 30;
        var W2 = L2 + cw * colsV.length + 10, H2 = T2 + ch * rowsV.length + 30;
        var svg2 = s('svg', { width: W2, height: H2, viewBox: '0 0 ' + W2 + ' ' + H2, 'class': 'chart',
                              'data-chart': 'grid-heatmap', role: 'img', 'aria-label': what + ' heat map' }, parent);
        var all = impacts.map(function (im) { return metric(im, m); });
        var top = Math.max.apply(null, all.map(Math.abs).concat([1]));
        impacts.forEach(function (im) {
          var v = metric(im, m), i = rowsV.indexOf(im.value[gridKeys[0]]), j = colsV.indexOf(im.value[gridKeys[1]]);
          var a = Math.abs(v) / top;
          var color = v >= 0 ? 'rgba(74,120,194,' + a.toFixed(3) + ')' : 'rgba(194,96,74,' + a.toFixed(3) + ')';
          var r = s('rect', { x: L2 + j * cw, y: T2 + i * ch, width: cw - 1, height: ch - 1, fill: color,
                              stroke: '#dde' }, svg2);
          s('title', {}, r, valueText(im.value) + ': ' + signed(v));
          s('text', { x: L2 + j * cw + cw / 2, y: T2 + i * ch + ch / 2 + 4, 'text-anchor': 'middle' }, svg2, signed(v));
        });
        rowsV.forEach(function (a, i) { s('text', { x: L2 - 6, y: T2 + i * ch + ch / 2 + 4, 'text-anchor': 'end' }, svg2, a); });
        colsV.forEach(function (b, j) { s('text', { x: L2 + j * cw + cw / 2, y: T2 - 8, 'text-anchor': 'middle' }, svg2, b); });
        s('text', { x: 4, y: 12 }, svg2, 'rows ' + gridKeys[0] + ', columns ' + gridKeys[1] + ': ' + what);
        charts++;
      }
    }
    if (gridKeys.length === 2 || (gridKeys.length === 1 && measureNames.length)) {
      h('h2', gridKeys.length === 2 ? 'Grid' : 'Sweep');
      var pick = h('select', null, main);
      pick.id = 'grid-measure';
      measureNames.concat(['']).forEach(function (m) {
        var o = h('option', m === '' ? 'covered days' : m, pick);
        o.value = m;
      });
      var holder = h('div', null, main);
      pick.addEventListener('change', function () { charts--; gridCharts(holder, pick.value); });
      gridCharts(holder, pick.value);
    }

    h('h2', 'Summary');
    table(main, ['', 'cases', 'errors', 'changed', 'status', 'MMI date', 'cutoff', 'shift total (days)',
                 'median', 'covered days before', 'after', 'change'],
          impacts.map(function (im) {
            var c = im.covered_days, pct = c.baseline ? (100 * c.change / c.baseline).toFixed(2) + '%' : '';
            return [label(im), fmt(im.cases), fmt(im.errors), fmt(im.cases_changed), fmt(im.changed.status),
                    fmt(im.changed.mmi_date), fmt(im.changed.coverage_cutoff), fmt(im.cutoff_shift_days.total),
                    fmt(im.cutoff_shift_days.median), fmt(c.baseline), fmt(c.variant),
                    (c.change > 0 ? '+' : '') + fmt(c.change) + (pct ? ' (' + pct + ')' : '')];
          }), [0]);

    if (sweep) {
      h('h2', 'Covered days per value');
      barChart(main, impacts.map(function (im) {
        return { label: im.value, value: im.covered_days.variant,
                 tip: im.value + ': ' + fmt(im.covered_days.variant) + ' covered days' };
      }), { kind: 'covered-days', title: 'covered days per value', axis: 'swept value',
            reference: impacts[0].covered_days.baseline, referenceLabel: 'baseline' });
    }

    impacts.forEach(function (im) {
      var suffix = sweep ? ' — value ' + valueText(im.value) : '';
      var moved = (im.transitions || []).filter(function (t) {
        return t.from.status !== t.to.status || t.from.basis !== t.to.basis;
      });
      if (im.transitions) {
        h('h2', 'Transitions' + suffix);
        table(main, ['baseline status', 'basis', 'variant status', 'basis', 'cases'],
              im.transitions.map(function (t) {
                return [t.from.status, t.from.basis || '–', t.to.status, t.to.basis || '–', fmt(t.count)];
              }), [0, 1, 2, 3]);
        h('div', fmt(moved.reduce(function (n, t) { return n + t.count; }, 0)) +
          ' cases changed status or basis', main, 'sub');
      }
      if (im.segments) {
        var byNames = im.segments.length ? Object.keys(im.segments[0].key) : [];
        h('h2', 'By ' + byNames.join(', ') + suffix);
        var segRows = im.segments.map(function (sg) {
          var r = byNames.map(function (k) { return { text: keyText(sg.key[k]), sort: sg.key[k] }; });
          r.push({ text: fmt(sg.cases), sort: sg.cases }, { text: fmt(sg.cases_changed), sort: sg.cases_changed },
                 { text: signed(sg.covered_days.change), sort: sg.covered_days.change });
          measureNames.forEach(function (m) {
            var x = sg.measures[m];
            r.push({ text: fmt(x.baseline), sort: x.baseline }, { text: fmt(x.variant), sort: x.variant },
                   { text: signed(x.delta), sort: x.delta }, { text: pct(x.delta_pct), sort: x.delta_pct });
          });
          return r;
        });
        var head = byNames.concat(['cases', 'changed', 'covered days Δ']);
        measureNames.forEach(function (m) { head.push(m + ' baseline', 'variant', 'delta', 'delta %'); });
        sortableTable(main, head, segRows, byNames.map(function (_, i) { return i; }));
        var m0 = measureNames[0];
        barChart(main, im.segments.map(function (sg) {
          var lab = byNames.map(function (k) { return keyText(sg.key[k]); }).join(' · ');
          var v = m0 ? sg.measures[m0].delta : sg.covered_days.change;
          return { label: lab, value: v, negative: v < 0, tip: lab + ': ' + signed(v) };
        }), { kind: 'segment-delta', title: 'delta by segment',
              axis: (m0 ? m0 + ' delta' : 'covered days change') + ' by segment' });
      }
      h('h2', 'Cutoff shifts' + suffix);
      var sh = im.cutoff_shift_days;
      h('div', fmt(sh.cases) + ' cases moved their coverage cutoff: ' + fmt(sh.total) + ' days in all, min ' +
        fmt(sh.min) + ', median ' + fmt(sh.median) + ', max ' + fmt(sh.max), main, 'sub');
      // One dominant bin would flatten the tails: then the bars are drawn on a log scale.
      var counts = sh.histogram.map(function (b) { return b.count; }).filter(function (c) { return c > 0; })
                     .sort(function (a, b) { return b - a; });
      var logScale = counts.length > 1 && counts[0] >= 20 * counts[1];
      barChart(main, sh.histogram.map(function (b) {
        var lab = b.from === b.to ? String(b.from) : b.from + '..' + b.to;
        return { label: lab, value: logScale ? Math.log10(1 + b.count) : b.count, negative: b.to < 0,
                 tip: lab + ' days: ' + fmt(b.count) + ' cases' };
      }), { kind: 'shift-histogram', title: 'cutoff shift histogram',
            axis: 'cutoff shift (days, variant − baseline)' +
                  (logScale ? '; cases on a log scale: log10(1 + cases)' : '; cases'),
            empty: 'no coverage cutoff moved', decimals: logScale,
            scale: logScale ? 'log scale: one bin holds 20× the next' : 'linear scale' });
      h('h2', 'Most affected cases' + suffix + ' (' + im.changed_cases.length +
        ' of ' + fmt(im.cases_changed) + ' changed)');
      table(main, ['case', 'line', 'status', 'MMI date', 'cutoff', '→ status', 'MMI date', 'cutoff', 'shift', 'covered days'],
            im.changed_cases.map(function (c) {
              return [c['case'], fmt(c.line), c.baseline.status, c.baseline.mmi_date || '–',
                      c.baseline.coverage_cutoff || '–', c.variant.status, c.variant.mmi_date || '–',
                      c.variant.coverage_cutoff || '–', fmt(c.cutoff_shift_days),
                      fmt(c.baseline.covered_days) + ' → ' + fmt(c.variant.covered_days)];
            }), [0, 2, 5]);
    });
    root.setAttribute('data-charts', String(charts));
    if (root.getAttribute('data-status') !== 'error') root.setAttribute('data-status', 'rendered');
  } catch (e) {
    fail(String(e && e.stack || e));
  }
})();
)JS";

}  // namespace

std::string render_report(const std::string& title, const std::string& subtitle,
                          const std::string& impacts_json, bool) {
  std::string page;
  page.reserve(impacts_json.size() + 16000);
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\" data-status=\"loading\">\n<head>\n<meta "
      "charset=\"utf-8\">\n";
  // No network: everything is inline, and the policy forbids fetching anything else.
  page +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
      "'unsafe-inline'; "
      "style-src 'unsafe-inline'\">\n";
  page += "<title>" + markup_escape(title) + "</title>\n<style>" + kStyle +
          "</style>\n</head>\n<body>\n";
  page += "<h1>" + markup_escape(title) + "</h1>\n<div class=\"sub\">" + markup_escape(subtitle) +
          "</div>\n";
  page += "<pre id=\"errors\" hidden></pre>\n<div id=\"main\"></div>\n";
  page += "<script type=\"application/json\" id=\"impact-data\">" + script_safe(impacts_json) +
          "</script>\n";
  page += "<script>";
  page += kScript;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace mmi::cli
