package dev.sse.examples.shared;

/**
 * Just enough JSON writing for the demos' small, flat documents, so that they need no JSON library. Shared by
 * every runtime's demo (each compiles {@code sse-examples/src/shared/java}). Stateless.
 */
public final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    /**
     * Quotes a string as a JSON string literal. Control characters, quotes and backslashes are escaped as RFC 8259
     * requires; U+2028, U+2029 and unpaired surrogates are escaped too, so the output is safe inside a script and
     * never turns into {@code ?} when encoded as UTF-8.
     *
     * @param s the text
     * @return the literal, quotes included
     */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029' || unpairedSurrogate(s, i)) {
                        unicodeEscape(c, sb);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static boolean unpairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }

    private static void unicodeEscape(char c, StringBuilder sb) {
        sb.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                .append(HEX[c & 0xf]);
    }

    /**
     * An error document, e.g. {@code {"error":"...","field":"event"}}.
     *
     * @param message what is wrong
     * @param field the request's field at fault, or {@code null}
     * @return the JSON text
     */
    public static String error(String message, String field) {
        StringBuilder sb = new StringBuilder("{\"error\":").append(quote(message));
        if (field != null) {
            sb.append(",\"field\":").append(quote(field));
        }
        return sb.append('}').toString();
    }
}
