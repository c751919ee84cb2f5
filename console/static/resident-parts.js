// The pieces of the resident card: who, language and communication, where and how to get in, risks and
// conditions, responders to call in order, GP and care. Pure drawing from the card API's answer.

import { el } from "./dom.js";
import { humanize } from "./format.js";

function callLink(tel, phone, label) {
  if (!tel) return phone ? el("span", { class: "mono", text: phone }) : null;
  return el("a", { class: "btn btn-call", href: tel, "data-call": "", "aria-label": label }, `Call ${phone}`);
}

// A labelled line: the label in a fixed column, the value beside it (wrapping under itself).
function line(label, attrs, ...value) {
  return el("div", { class: "rc-line", ...attrs }, el("span", { class: "rc-label", text: label }),
    el("div", { class: "rc-value" }, ...value));
}

function formatDob(iso) {
  const [y, m, d] = String(iso).split("-").map(Number);
  if (!y || !m || !d) return iso;
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB", {
    day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
  });
}

export function whoPart(resident) {
  const facts = [];
  if (resident.age !== null && resident.age !== undefined) {
    facts.push(el("span", { "data-age": resident.age, text: `${resident.age} years` }));
  }
  if (resident.date_of_birth) facts.push(el("span", { text: `born ${formatDob(resident.date_of_birth)}` }));
  if (resident.nhs_number) {
    facts.push(el("span", { class: "rc-nowrap" }, "NHS ",
      el("span", { class: "mono", "data-nhs-number": "", text: resident.nhs_number })));
  }
  return el(
    "div",
    { class: "rc-who" },
    el("p", { class: "rc-name", "data-resident-name": "", text: resident.name }),
    resident.preferred_name && resident.preferred_name !== resident.name
      ? el("p", { class: "rc-known-as" }, "Known as ", el("strong", { text: resident.preferred_name }))
      : null,
    facts.length ? el("p", { class: "rc-facts" }, facts.flatMap((f, i) => (i ? [" · ", f] : [f]))) : null,
    el("p", { class: "rc-facts muted" }, "Resident ", el("span", { class: "mono", text: resident.resident_id })),
  );
}

export function languagePart(resident) {
  const lang = resident.language;
  const parts = [];
  if (lang.interpreter_needed) {
    parts.push(el("p", { class: "rc-interpreter", "data-interpreter": lang.preferred.tag },
      el("strong", { text: "Interpreter needed" }), ` — ${lang.preferred.name}`));
  }
  const spoken = lang.spoken.map((s, i) => (i === 0 ? `${s.name} (preferred)` : s.name)).join(", ");
  parts.push(line("Speaks", { class: "rc-line rc-language", "data-language": "" }, spoken));
  if (resident.communication_needs) {
    parts.push(line("Communication", { class: "rc-line rc-communication", "data-communication": "" },
      resident.communication_needs));
  }
  return el("div", { class: "rc-language-block" }, parts);
}

export function wherePart(home) {
  if (!home) return null;
  return el(
    "div",
    { class: "rc-where", "data-where": "" },
    el("p", { class: "rc-address" }, home.address || "No address on record",
      home.postcode ? el("span", { class: "rc-postcode", text: ` ${home.postcode}` }) : null),
    home.access_notes
      ? line("Access", { class: "rc-line rc-access", "data-access-notes": "" }, home.access_notes)
      : null,
  );
}

export function risksPart(risks, conditions) {
  if (!risks.length && !conditions.length) return null;
  return el(
    "div",
    { class: "rc-risks" },
    risks.length
      ? el("ul", { class: "rc-chips", "aria-label": "Risks" },
          risks.map((r) => el("li", { class: "rc-risk", "data-risk": "", text: r.display })))
      : null,
    conditions.length
      ? line("Conditions", { class: "rc-line rc-conditions", "data-conditions": "" },
          conditions.map((c) => c.display).join(" · "))
      : null,
  );
}

// "daughter", "Neighbour", "Mobile responder": the relationship when there is one, else the kind.
function relationship(r) {
  if (r.relationship) return r.relationship;
  return r.kind && r.kind !== "other" ? humanize(r.kind) : "";
}

export function respondersPart(responders) {
  if (!responders.length) {
    return el("p", { class: "rc-none", text: "No responders on record — check the council record." });
  }
  return el(
    "ol",
    { class: "rc-responders", "aria-label": "Responders, in the order to call them" },
    responders.map((r, i) =>
      el(
        "li",
        { class: "rc-responder", "data-responder": String(i + 1) },
        el("span", { class: "rc-order", "aria-hidden": "true", text: String(i + 1) }),
        el("div", { class: "rc-responder-who" },
          el("div", {},
            el("strong", { class: "rc-responder-name", text: r.name }),
            r.holds_key ? el("span", { class: "rc-badge rc-holds-key", "data-holds-key": "", text: "Holds key" }) : null),
          el("div", { class: "rc-relationship", text: [relationship(r), r.availability].filter(Boolean).join(" · ") })),
        callLink(r.tel, r.phone, `Call ${r.name} on ${r.phone}`),
      )),
  );
}

export function carePart(resident) {
  const gp = resident.gp || {};
  const rows = [];
  if (gp.name || gp.practice || gp.phone) {
    rows.push(line("GP", { class: "rc-line rc-gp", "data-gp": "" },
      el("div", { text: [gp.name, gp.practice].filter(Boolean).join(", ") }),
      callLink(gp.tel, gp.phone, `Call the GP on ${gp.phone}`)));
  }
  if (resident.care_plan_summary) {
    rows.push(line("Care plan", { class: "rc-line rc-care-plan", "data-care-plan": "" }, resident.care_plan_summary));
  }
  const visits = resident.care_visits || [];
  if (visits.length) {
    rows.push(line("Care visits", { class: "rc-line rc-visits", "data-care-visits": "" },
      el("ul", {}, visits.map((v) => el("li", {},
        el("div", {}, el("strong", { text: v.provider || "Carer" }), ` · ${[v.days, v.times].filter(Boolean).join(" ")}`),
        callLink(v.tel, v.phone, `Call ${v.provider || "the carers"} on ${v.phone}`))))));
  }
  return rows.length ? el("div", { class: "rc-care" }, rows) : null;
}
