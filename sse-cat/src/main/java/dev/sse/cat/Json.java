package dev.sse.cat;

/**
 * Writes JSON strings for sse-cat's output lines.
 *
 * <p>Escapes {@code "} and {@code \}, control characters below U+0020 ({@code \n}, {@code \r}, {@code \t},
 * {@code \b}, {@code \f}, others as {@code \}{@code u00XX}), U+2028 and U+2029 (as {@code \}{@code u2028} and
 * {@code \}{@code u2029}, which JavaScript before ES2019 does not accept raw in strings), and every unpaired surrogate
 * (as {@code \}{@code ud800}-style escapes, since it has no UTF-8 form). Hex digits are lower case. Everything else,
 * paired surrogates included, is written as is, to be encoded as UTF-8.
 */
final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    static StringBuilder appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        unicodeEscape(sb, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"');
    }

    /** Appends {@code c} as a {@code \}{@code u00XX}-style escape, lower-case hex; shared with {@link Terminal}. */
    static void unicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF])
                .append(HEX[c & 0xF]);
    }

    static String event(String type, String data, String lastEventId) {
        StringBuilder sb = new StringBuilder(data.length() + type.length() + lastEventId.length() + 40);
        sb.append("{\"type\":");
        appendString(sb, type);
        sb.append(",\"data\":");
        appendString(sb, data);
        sb.append(",\"lastEventId\":");
        appendString(sb, lastEventId);
        return sb.append('}').toString();
    }

    static String comment(String comment) {
        StringBuilder sb = new StringBuilder(comment.length() + 16).append("{\"comment\":");
        return appendString(sb, comment).append('}').toString();
    }
}
