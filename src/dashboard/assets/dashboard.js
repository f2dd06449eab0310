// The dashboard page's script (served from /dashboard/assets/, no framework, no build step). It reads the link's
// token from the address, sends it in a header to the dashboard's JSON endpoints, and draws what they answer:
// the server has already formatted every figure and built the ECharts options (the same ones the digest image
// is drawn from), so this only places text and hands options to ECharts.

(() => {
  const $ = (id) => document.getElementById(id);
  const esc = (s) =>
    String(s ?? "").replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
    );
  const params = new URLSearchParams(location.search);
  const token = params.get("t") || "";
  const state = { plan: params.get("plan") || "", period: params.get("period") || "", crumbs: [], view: null };
  const charts = new Map();

  async function api(path, query) {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
    const res = await fetch(`/dashboard/api/${path}?${qs}`, {
      headers: { "x-dashboard-token": token },
      credentials: "omit",
      cache: "no-store",
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(body?.error?.message || `请求失败（${res.status}）`);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function refuse(err) {
    if (err.status === 401 || (err.status === 403 && !state.view)) {
      $("app").hidden = true;
      $("refusal").hidden = false;
      $("refusal-text").textContent = err.message;
    } else {
      notice(err.message);
    }
  }
  const notice = (text) => {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  };

  // Each chart is drawn at the size the digest image has (the same option, the same layout) and scaled down to
  // the column with a CSS transform, which ECharts reads back when it maps a tap to a bar.
  function fitChart(el, spec) {
    const k = Math.min(1, el.clientWidth / spec.width);
    const viewport = el.firstElementChild;
    viewport.style.transformOrigin = "0 0";
    viewport.style.transform = `scale(${k})`;
    el.style.height = `${Math.ceil(spec.height * k)}px`;
  }
  function chart(id, spec) {
    const el = $(id);
    let c = echarts.getInstanceByDom(el);
    if (!c) {
      c = echarts.init(el, null, { renderer: "svg", width: spec.width, height: spec.height });
    } else {
      c.resize({ width: spec.width, height: spec.height });
    }
    charts.set(id, spec);
    c.setOption(spec.option, true);
    fitChart(el, spec);
    return c;
  }
  window.addEventListener("resize", () => {
    for (const [id, spec] of charts) fitChart($(id), spec);
  });

  function renderPickers(data) {
    const plan = $("plan");
    plan.innerHTML = data.plans.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join("");
    plan.value = data.planId;
    $("plan-picker").hidden = data.plans.length < 2;
    const period = $("period");
    period.innerHTML = data.periods.map((p) => `<option value="${esc(p.key)}">${esc(p.label)}</option>`).join("");
    period.value = data.period;
    if (data.sandbox) {
      $("as-picker").hidden = false;
      $("as").innerHTML =
        `<option value="">（切换查看人）</option><option value="admin">管理员（全部）</option>` +
        data.sandbox.staff
          .map((s) => `<option value="${esc(s.userId)}">${esc(s.name)} · ${esc(s.dept)}</option>`)
          .join("");
    }
  }

  function renderHeadline(v) {
    const t = v.totals;
    $("title").textContent = v.title;
    $("who").textContent = `${v.scope} · ${v.period}`;
    const change = t.change ? `<span class="${t.change.startsWith("-") ? "down" : "up"}">${esc(t.change)}</span>` : "";
    $("figures").innerHTML = [
      ["年度累计完成", t.ytdActual, `应完成 ${t.ytdTarget}`],
      ["年度累计达成", t.ytdAttainment, change ? `${v.unit}环比 ${change}` : ""],
      [`本${v.unit}完成`, t.periodActual, `目标 ${t.periodTarget} · ${t.periodAttainment}`],
      ["全年预计", t.projectedYearEnd, `全年目标 ${t.annualTarget} · ${t.projectedAttainment}`],
      [v.runRateDone ? "全年目标" : `此后每${v.unit}需完成`, v.runRateDone ? "已完成" : t.requiredRunRate, ""],
    ]
      .map(([label, big, small]) => {
        // small may hold the change's span: it is built from escaped text above.
        const note = small === change || small.includes("<span") ? small : esc(small);
        return `<div class="figure"><span>${esc(label)}</span><b>${esc(big)}</b><span>${note}</span></div>`;
      })
      .join("");
  }

  // Exceptions come right after the headline figures: a count per kind, then the first few, the rest on demand.
  const EXCEPTIONS_SHOWN = 5;
  function renderExceptions(v) {
    const total = v.exceptionKinds.reduce((n, k) => n + k.count, 0);
    $("exceptions-count").textContent = total ? `共 ${total} 项` : "";
    $("exception-kinds").innerHTML = v.exceptionKinds
      .map((k) => `<span class="tag ${esc(k.kind)}">${esc(k.kindText)} ${esc(k.count)}</span>`)
      .join("");
    const item = (e) =>
      `<li data-testid="exception" ${e.userId ? `data-user="${esc(e.userId)}"` : ""}><span class="tag ${esc(e.kind)}">${esc(e.kindText)}</span><span class="grow">${esc(e.text)}</span></li>`;
    const show = (all) => {
      const items = all ? v.exceptions : v.exceptions.slice(0, EXCEPTIONS_SHOWN);
      $("exceptions").innerHTML = items.length ? items.map(item).join("") : `<li class="muted">没有需要关注的事项</li>`;
      const more = $("exceptions-more");
      more.hidden = all || v.exceptions.length <= EXCEPTIONS_SHOWN;
      more.textContent = `再显示 ${v.exceptions.length - EXCEPTIONS_SHOWN} 项`;
    };
    $("exceptions-more").onclick = () => show(true);
    show(false);
  }

  function renderBreakdowns(v) {
    const tabs = $("dims");
    const show = (i) => {
      const b = v.breakdowns[i];
      for (const [j, el] of [...tabs.children].entries()) el.classList.toggle("on", j === i);
      $("dim-rows").innerHTML = b
        ? b.rows
            .map(
              (r) =>
                `<li><span class="grow">${esc(r.label)}${r.ownerName && r.ownerName !== r.label ? ` <span class="muted">${esc(r.ownerName)}</span>` : ""}</span><span class="num">${esc(r.ytdActual)} / ${esc(r.ytdTarget)}</span><span class="num"><b>${esc(r.ytdAttainment)}</b>${r.change ? ` <small class="${r.change.startsWith("-") ? "down" : "up"}">${esc(r.change)}</small>` : ""}</span></li>`,
            )
            .join("")
        : "";
    };
    tabs.innerHTML = v.breakdowns
      .map((b, i) => `<button type="button" data-i="${i}">${esc(b.title)}</button>`)
      .join("");
    for (const el of tabs.children) el.addEventListener("click", () => show(Number(el.dataset.i)));
    show(0);
  }

  function renderBoard(v) {
    const list = (rows) =>
      rows.length
        ? `<ol>${rows.map((r) => `<li>${esc(r.label)} <b>${esc(r.attainment)}</b></li>`).join("")}</ol>`
        : `<p class="muted">暂无</p>`;
    const blocks = [
      ["前5名", v.top.people],
      ["后5名", v.bottom.people],
    ];
    if (v.top.regions.length) blocks.push(["区域前5", v.top.regions]);
    if (v.bottom.regions.length) blocks.push(["区域后5", v.bottom.regions]);
    $("board").innerHTML = blocks.map(([h, rows]) => `<div><h3>${esc(h)}</h3>${list(rows)}</div>`).join("");
  }

  async function load() {
    notice("");
    const data = await api("view", { plan: state.plan, period: state.period });
    state.plan = data.planId;
    state.period = data.period;
    state.view = data;
    renderPickers(data);
    for (const s of document.querySelectorAll("section.data")) s.hidden = !data.view;
    $("person").hidden = true;
    $("empty").hidden = !!data.view;
    if (!data.view) {
      $("empty").textContent = data.message;
      return;
    }
    const v = data.view;
    renderHeadline(v);
    renderExceptions(v);
    renderBreakdowns(v);
    renderBoard(v);
    $("freshness").textContent = `${v.freshness} · ${v.health}`;
    const specs = window.dashboardCharts(data.digest);
    chart("chart-gauge", specs.gauge);
    chart("chart-weekly", specs.weekly);
    const byDim = chart("chart-dims", specs.attainment);
    byDim.off("click");
    byDim.on("click", (p) => drillByLabel(p.name));
    state.crumbs = [];
    await drill(null);
  }

  async function drill(nodeId, label) {
    const data = await api("node", { plan: state.plan, period: state.period, node: nodeId });
    const at = state.crumbs.findIndex((c) => c.id === data.node.id);
    if (at >= 0) state.crumbs = state.crumbs.slice(0, at + 1);
    else state.crumbs.push({ id: data.node.id, label: label || data.node.label });
    state.children = data.children;
    $("person").hidden = true;
    $("crumbs").innerHTML = state.crumbs
      .map(
        (c, i) => `${i ? "<span>›</span>" : ""}<button type="button" data-id="${esc(c.id)}">${esc(c.label)}</button>`,
      )
      .join("");
    for (const b of $("crumbs").querySelectorAll("button"))
      b.addEventListener("click", () => drill(b.dataset.id).catch(refuse));
    $("drill").innerHTML = data.children.length
      ? data.children
          .map(
            (c) =>
              `<li data-testid="drill-row" data-id="${esc(c.id)}"><span class="grow">${esc(c.label)}${c.ownerName && c.ownerName !== c.label ? ` <span class="muted">${esc(c.ownerName)}</span>` : ""}</span><span class="num">${esc(c.ytd)}</span><span class="num"><b>${esc(c.attainment)}</b></span><span class="arrow">›</span></li>`,
          )
          .join("")
      : `<li class="muted">这一级下没有可查看的目标</li>`;
    for (const li of $("drill").querySelectorAll("li[data-id]")) {
      const c = data.children.find((x) => x.id === li.dataset.id);
      li.addEventListener("click", () =>
        (c.leaf && c.ownerUserId ? person(c.ownerUserId) : drill(c.id, c.label)).catch(refuse),
      );
    }
  }

  function drillByLabel(label) {
    const c = (state.children || []).find((x) => x.label === label);
    if (c) drill(c.id, c.label).catch(refuse);
  }

  async function person(userId) {
    const d = await api("person", { plan: state.plan, period: state.period, user: userId });
    const p = d.person;
    const rows = (items, cols) =>
      items.length
        ? `<div class="rows">${items
            .map(
              (it) =>
                `<div class="row">${cols(it)
                  .map((c) => `<span>${esc(c)}</span>`)
                  .join("")}</div>`,
            )
            .join("")}</div>`
        : `<p class="muted">暂无</p>`;
    $("person").innerHTML =
      `<h2 data-testid="person-name">${esc(p.name)} <small>${esc(p.dept)}${p.title ? ` · ${esc(p.title)}` : ""}${p.active ? "" : " · 已离职"}</small></h2>` +
      `<dl>${d.targets.map((t) => `<dt>目标</dt><dd>${esc(t.path)}：${esc(t.amount)}（第${esc(t.version)}版）</dd>`).join("")}` +
      (d.ytd ? `<dt>年度累计</dt><dd>${esc(d.ytd)}</dd>` : "") +
      `</dl>` +
      `<h3>各期考核</h3>${rows(d.periods, (r) => [r.period, `${r.actual} / ${r.target}`, r.attainment])}` +
      `<h3>升级处理</h3>${rows(d.escalations, (e) => [e.status, e.text, e.level])}` +
      `<h3>目标调整申请</h3>${rows(d.changeRequests, (c) => [c.status, c.text, c.date])}` +
      `<h3>目标变更记录</h3>${rows(d.ledger, (l) => [l.date, l.text, l.version])}`;
    $("person").hidden = false;
    $("person").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  $("plan").addEventListener("change", () => {
    state.plan = $("plan").value;
    state.period = "";
    load().catch(refuse);
  });
  $("period").addEventListener("change", () => {
    state.period = $("period").value;
    load().catch(refuse);
  });
  $("as").addEventListener("change", () => {
    if ($("as").value) location.href = `/dashboard?as=${encodeURIComponent($("as").value)}`;
  });
  load().catch(refuse);
})();
