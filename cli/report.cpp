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
    // A vertical bar chart: bars [{label, value, tip}], optional dashed reference line.
    function barChart(parent, bars, opts) {
      var W = 900, H = 260, L = 70, B = 46, T = 14, R = 10;
      var svg = s('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                           'aria-label': opts.title, 'class': 'chart', 'data-chart': opts.kind }, parent);
      var values = bars.map(function (b) { return b.value; });
      if (opts.reference !== undefined) values.push(opts.reference);
      var max = Math.max.apply(null, values.concat([0])), min = Math.min.apply(null, values.concat([0]));
      if (opts.fromMin && bars.length) { min = Math.min.apply(null, values) * 0.98; }
      if (max === min) max = min + 1;
      var y = function (v) { return T + (H - T - B) * (1 - (v - min) / (max - min)); };
      s('line', { x1: L, y1: y(Math.max(min, 0)), x2: W - R, y2: y(Math.max(min, 0)), stroke: '#999' }, svg);
      for (var g = 0; g <= 4; g++) {
        var v = min + (max - min) * g / 4;
        s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg, fmt(Math.round(v)));
      }
      if (!bars.length) {
        s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, svg, opts.empty || 'nothing to show');
      }
      var slot = (W - L - R) / Math.max(1, bars.length);
      var every = Math.max(1, Math.ceil(bars.length / Math.floor((W - L - R) / 64)));  // labels ≥ 64 px apart
      bars.forEach(function (b, i) {
        var base = opts.fromMin ? min : 0;
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
    function label(im) { return sweep ? 'value ' + im.value : 'variant'; }

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
            reference: impacts[0].covered_days.baseline, referenceLabel: 'baseline', fromMin: true });
    }

    impacts.forEach(function (im) {
      h('h2', 'Cutoff shifts' + (sweep ? ' — value ' + im.value : ''));
      var sh = im.cutoff_shift_days;
      h('div', fmt(sh.cases) + ' cases moved their coverage cutoff: ' + fmt(sh.total) + ' days in all, min ' +
        fmt(sh.min) + ', median ' + fmt(sh.median) + ', max ' + fmt(sh.max), main, 'sub');
      barChart(main, sh.histogram.map(function (b) {
        var lab = b.from === b.to ? String(b.from) : b.from + '..' + b.to;
        return { label: lab, value: b.count, negative: b.to < 0, tip: lab + ' days: ' + fmt(b.count) + ' cases' };
      }), { kind: 'shift-histogram', title: 'cutoff shift histogram', axis: 'cutoff shift (days, variant − baseline)',
            empty: 'no coverage cutoff moved' });
      h('h2', 'Most affected cases' + (sweep ? ' — value ' + im.value : '') + ' (' + im.changed_cases.length +
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
