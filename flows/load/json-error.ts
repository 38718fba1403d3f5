/**
 * Finds where and why a text is not JSON, for a good diagnostic (JSON.parse messages rarely give a
 * position). Only called after JSON.parse failed, so it favours clarity over speed.
 */
export function findJsonError(text: string): { offset: number; message: string } {
  let p = 0;
  const fail = (message: string): never => {
    throw { offset: p, message };
  };
  const ws = (): void => {
    while (p < text.length && " \t\n\r".includes(text[p]!)) p++;
  };
  const describe = (): string => (p >= text.length ? "end of file" : `\`${text[p]}\``);
  const literal = (word: string): void => {
    if (!text.startsWith(word, p)) fail(`unexpected ${describe()}: expected a value`);
    p += word.length;
  };
  const string = (): void => {
    p++;
    while (p < text.length && text[p] !== '"') {
      const c = text.charCodeAt(p);
      if (c < 0x20) fail("control character in a string: escape it (`\\n`, `\\t`)");
      if (text[p] === "\\") {
        const e = text[p + 1] ?? "";
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6)))
            fail("bad `\\u` escape: expected 4 hex digits");
          p += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== "") p += 2;
        else fail(`bad escape \`\\${e}\` in a string`);
      } else p++;
    }
    if (p >= text.length) fail('unterminated string: add the closing `"`');
    p++;
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(p));
    if (!m || m[0] === "" || m[0] === "-") fail(`unexpected ${describe()}: expected a value`);
    p += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[p];
    if (c === "{") {
      p++;
      ws();
      if (text[p] === "}") return void p++;
      for (;;) {
        ws();
        if (text[p] !== '"') fail(`unexpected ${describe()}: expected a property name in double quotes`);
        string();
        ws();
        if (text[p] !== ":") fail(`unexpected ${describe()}: expected \`:\` after the property name`);
        p++;
        value();
        ws();
        if (text[p] === ",") {
          p++;
          ws();
          if (text[p] === "}") fail("trailing comma before `}`: remove it");
          continue;
        }
        if (text[p] === "}") return void p++;
        fail(`unexpected ${describe()}: expected \`,\` or \`}\``);
      }
    }
    if (c === "[") {
      p++;
      ws();
      if (text[p] === "]") return void p++;
      for (;;) {
        value();
        ws();
        if (text[p] === ",") {
          p++;
          ws();
          if (text[p] === "]") fail("trailing comma before `]`: remove it");
          continue;
        }
        if (text[p] === "]") return void p++;
        fail(`unexpected ${describe()}: expected \`,\` or \`]\``);
      }
    }
    if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else number();
  };
  try {
    value();
    ws();
    if (p < text.length) fail(`unexpected ${describe()} after the end of the document`);
    return { offset: 0, message: "not valid JSON" };
  } catch (error) {
    if (error && typeof error === "object" && "offset" in error)
      return error as { offset: number; message: string };
    throw error;
  }
}
