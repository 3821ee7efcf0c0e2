// Ukrainian ↔ Latin transliteration for search only: the Cyrillic→Latin side follows the
// national 2010 standard (Я → "ya" at a word start, "ia" inside); the Latin→Cyrillic side is a
// forgiving reverse so "moloko", "borshch" or "grechka" find Cyrillic names.

const TO_LATIN: Record<string, string> = {
  а: "a", б: "b", в: "v", г: "h", ґ: "g", д: "d", е: "e", є: "ie", ж: "zh", з: "z", и: "y",
  і: "i", ї: "i", й: "i", к: "k", л: "l", м: "m", н: "n", о: "o", п: "p", р: "r", с: "s",
  т: "t", у: "u", ф: "f", х: "kh", ц: "ts", ч: "ch", ш: "sh", щ: "shch", ь: "", ю: "iu",
  я: "ia", ё: "e", ы: "y", э: "e", ъ: "", "'": "", "’": "", ʼ: "",
};
const WORD_START: Record<string, string> = { є: "ye", ї: "yi", й: "y", ю: "yu", я: "ya" };

// Longest first, so "shch" wins over "sh" and "zh" over "z".
const TO_CYRILLIC: Array<[string, string]> = [
  ["shch", "щ"], ["zh", "ж"], ["kh", "х"], ["ts", "ц"], ["ch", "ч"], ["sh", "ш"], ["ya", "я"],
  ["ia", "я"], ["yu", "ю"], ["iu", "ю"], ["ye", "є"], ["yi", "ї"], ["a", "а"], ["b", "б"],
  ["v", "в"], ["h", "г"], ["g", "г"], ["d", "д"], ["e", "е"], ["z", "з"], ["y", "и"], ["i", "і"],
  ["k", "к"], ["l", "л"], ["m", "м"], ["n", "н"], ["o", "о"], ["p", "п"], ["r", "р"], ["s", "с"],
  ["t", "т"], ["u", "у"], ["f", "ф"], ["c", "к"], ["w", "в"], ["x", "кс"], ["q", "к"], ["j", "й"],
];

const CYRILLIC = /[\u0400-\u04ff]/;
const LATIN = /[a-z]/;

/** Cyrillic letters to Latin; other characters are kept. */
export function toLatin(text: string): string {
  let out = "";
  let previous = " ";
  for (const char of text.toLowerCase()) {
    const atStart = !/[\p{L}'’ʼ]/u.test(previous);
    out += (atStart ? WORD_START[char] : undefined) ?? TO_LATIN[char] ?? char;
    previous = char;
  }
  return out;
}

/** Latin letters to Ukrainian Cyrillic; other characters are kept. */
export function toCyrillic(text: string): string {
  const lower = text.toLowerCase();
  let out = "";
  let index = 0;
  outer: while (index < lower.length) {
    for (const [latin, cyrillic] of TO_CYRILLIC) {
      if (lower.startsWith(latin, index)) {
        out += cyrillic;
        index += latin.length;
        continue outer;
      }
    }
    out += lower[index];
    index++;
  }
  // "y" after a vowel is a consonant: "yaytsya" → "яйця", not "яиця".
  return out.replace(/([аеиіоуяюєї])и/g, "$1й");
}

/** The spellings of one word worth searching for: itself and its other-script form. */
export function spellings(word: string): string[] {
  const variants = new Set([word]);
  if (CYRILLIC.test(word)) {
    const latin = toLatin(word);
    variants.add(latin);
    // "кока-кола" is spelled "coca-cola" by the brand, not "koka-kola".
    if (latin.includes("k")) variants.add(latin.replaceAll("k", "c"));
    // Г is often written "g" ("yogurt", "grechka"); the standard says "h".
    if (/(?<![kszc])h/.test(latin)) variants.add(latin.replace(/(?<![kszc])h/g, "g"));
  }
  if (LATIN.test(word)) variants.add(toCyrillic(word));
  return [...variants];
}
