import { NEW_LINK_HINT } from "./dashboard-access.ts";

/**
 * The dashboard's HTML: a shell the script fills in (no inline script or style: the page's CSP allows only its
 * own assets), and the refusal page a missing, bad, expired or stopped link gets — with how to get a new one.
 */

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface PageAssets {
  echarts: string;
  charts: string;
  script: string;
  style: string;
}

const head = (title: string, style: string) => `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${style}">
</head>`;

export function dashboardPage(assets: PageAssets): string {
  return `${head("目标看板", assets.style)}
<body>
<div id="app">
<header class="top">
  <h1 id="title" data-testid="title">目标看板</h1>
  <div class="who" id="who" data-testid="who">正在加载…</div>
  <div class="pickers">
    <label id="plan-picker" hidden>计划 <select id="plan" data-testid="plan"></select></label>
    <label>周期 <select id="period" data-testid="period"></select></label>
    <label id="as-picker" hidden>沙盒：查看身份 <select id="as" data-testid="view-as"></select></label>
  </div>
</header>
<p id="notice" class="refusal-inline muted" data-testid="notice" hidden></p>
<main>
  <section id="empty" class="wide muted" data-testid="empty" hidden></section>
  <section class="wide data" data-testid="overview">
    <div class="figures" id="figures" data-testid="figures"></div>
  </section>
  <section class="wide data" data-testid="exceptions-section">
    <h2>需要关注 <small id="exceptions-count"></small></h2>
    <div class="chips" id="exception-kinds" data-testid="exception-kinds"></div>
    <ul class="list" id="exceptions" data-testid="exceptions"></ul>
    <button type="button" class="link" id="exceptions-more" data-testid="exceptions-more" hidden></button>
  </section>
  <section class="data">
    <h2>年度累计达成</h2>
    <div class="chart" id="chart-gauge" data-testid="chart-gauge"></div>
  </section>
  <section class="data">
    <h2>每期完成与应完成 <small>柱：本期 · 线：累计</small></h2>
    <div class="chart tall" id="chart-weekly" data-testid="chart-weekly"></div>
  </section>
  <section class="data">
    <h2>分维度达成 <small>点击区域可下钻</small></h2>
    <div class="chart tall" id="chart-dims" data-testid="chart-dims"></div>
    <div class="tabs" id="dims"></div>
    <ul class="list" id="dim-rows" data-testid="dim-rows"></ul>
  </section>
  <section class="data">
    <h2>排行榜 <small>年度累计达成率</small></h2>
    <div class="board" id="board" data-testid="board"></div>
  </section>
  <section class="wide data drill-section">
    <h2>逐级查看 <small>区域 › 团队 › 个人</small></h2>
    <div class="crumbs" id="crumbs" data-testid="crumbs"></div>
    <ul class="list drill" id="drill" data-testid="drill"></ul>
  </section>
  <section class="wide person" id="person" data-testid="person" hidden></section>
</main>
<footer id="freshness" data-testid="freshness"></footer>
</div>
<div class="refusal" id="refusal" data-testid="refusal" hidden>
  <h1>无法打开看板</h1>
  <p id="refusal-text"></p>
</div>
<script src="${assets.echarts}"></script>
<script src="${assets.charts}"></script>
<script src="${assets.script}"></script>
</body>
</html>`;
}

/** The page a refused link gets (401 or 403): why, and how to get a new link. */
export function refusalPage(message: string, a: { style: string; sandbox: boolean; linkDays: number }): string {
  const text = message.endsWith(NEW_LINK_HINT) ? message.slice(0, -NEW_LINK_HINT.length) : message;
  return `${head("无法打开看板", a.style)}
<body>
<div class="refusal" data-testid="refusal">
  <h1>无法打开看板</h1>
  <p data-testid="refusal-reason">${esc(text)}</p>
  <p class="how" data-testid="refusal-how">在钉钉里对机器人说“看板”</p>
  <p class="muted">机器人会回复一个新的看板链接，有效期 ${a.linkDays} 天。</p>
  ${a.sandbox ? `<p class="muted">沙盒模式：<a href="/dashboard?as=admin">以管理员身份查看</a>，或在沙盒页里对机器人说“看板”。</p>` : ""}
</div>
</body>
</html>`;
}
