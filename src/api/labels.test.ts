import { test } from "node:test";
import assert from "node:assert/strict";
import {
  labelSelectorMatcher,
  labelSelectorToString,
  matchesLabelSelector,
  matchesSelectorString,
  parseLabelSelector,
  selectorFromSet,
  selectorToString,
  tryParseLabelSelector,
  validateLabelSelector,
} from "./labels.js";
import { formatFieldError } from "./field-errors.js";

test("parse and print selector strings as upstream does", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["a=b", "a=b"],
    ["a==b", "a==b"],
    ["a!=b", "a!=b"],
    ["a", "a"],
    ["!a", "!a"],
    ["  a  =  b  ", "a=b"],
    ["x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"],
    ["b=c,a in (y,x)", "a in (x,y),b=c"],
    ["a=", "a="],
    ["example.com/app=web", "example.com/app=web"],
    ["a in (in)", "a in (in)"],
    ["a>5", "a>5"],
  ];
  for (const [input, want] of cases) assert.equal(selectorToString(parseLabelSelector(input)), want, input);
});

test("selector syntax errors carry upstream's messages", () => {
  const name =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: [string, string][] = [
    ["app:monolith", `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${name}`],
    ["a,", "found '', expected: identifier after ','"],
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["=b", "found '=', expected: !, identifier, or 'end of string'"],
    ["a in b", "unable to parse requirement: found 'b' expected: '('"],
    ["a in (b", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["a=b@", `unable to parse requirement: values[0][a]: Invalid value: "b@": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`],
    ["a>b", `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
  ];
  for (const [input, want] of cases) {
    const r = tryParseLabelSelector(input);
    assert.equal(r.error, want, input);
  }
});

test("match selector strings against label maps", () => {
  const labels = { app: "web", tier: "front", n: "7" };
  const cases: [string, boolean][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["missing!=x", true],
    ["app in (db,web)", true],
    ["app notin (web)", false],
    ["missing notin (web)", true],
    ["tier", true],
    ["missing", false],
    ["!missing", true],
    ["!tier", false],
    ["app=web,tier=back", false],
    ["n>5", true],
    ["n<5", false],
  ];
  for (const [sel, want] of cases) assert.equal(matchesSelectorString(sel, labels), want, sel);
});

test("LabelSelector matching and printing", () => {
  const labels = { app: "web", env: "prod" };
  assert.equal(matchesLabelSelector({ matchLabels: { app: "web" } }, labels), true);
  assert.equal(matchesLabelSelector({ matchLabels: { app: "db" } }, labels), false);
  assert.equal(matchesLabelSelector({}, labels), true, "empty selector matches everything");
  assert.equal(matchesLabelSelector(undefined, labels), false, "missing selector matches nothing");
  assert.equal(
    matchesLabelSelector({ matchLabels: { app: "web" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev"] }] }, labels),
    true,
  );
  assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, labels), false);
  assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, labels), true);
  assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "x", operator: "Exists" }] }, labels), false);
  assert.equal(
    labelSelectorToString({ matchLabels: { b: "1", a: "2" }, matchExpressions: [{ key: "c", operator: "In", values: ["y", "x"] }] }),
    "a=2,b=1,c in (x,y)",
  );
  const m = labelSelectorMatcher({ matchLabels: { app: "web" }, matchExpressions: [{ key: "env", operator: "Exists" }] });
  assert.equal(m(labels), true);
  assert.equal(m({ app: "web" }), false);
  assert.equal(labelSelectorMatcher(undefined)(labels), false);
  assert.equal(labelSelectorMatcher({ matchExpressions: [{ key: "a", operator: "Bogus" as never }] })(labels), false, "invalid selectors match nothing");
  assert.equal(selectorToString(selectorFromSet({ z: "1", a: "2" })), "a=2,z=1");
  assert.equal(selectorToString(selectorFromSet({})), "");
});

test("validateLabelSelector reports upstream paths and messages", () => {
  const errs = validateLabelSelector(
    { matchExpressions: [{ key: "a", operator: "In" }, { key: "b", operator: "Exists", values: ["x"] }, { key: "c", operator: "Bad" as never }] },
    "spec.selector",
  ).map(formatFieldError);
  assert.deepEqual(errs, [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    `spec.selector.matchExpressions[2].operator: Invalid value: "Bad": not a valid selector operator`,
  ]);
});
