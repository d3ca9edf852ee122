package dev.sse.cat;

import java.io.PrintStream;

/**
 * sse-cat's stderr: every line goes through {@link #line}, which makes text from the server (error bodies, header
 * values, reasons in exception messages) inert on a terminal.
 *
 * <p>A server that could put ESC, BEL or CSI on our stderr could clear the screen, retitle the window, or write
 * lines that look like ours ({@code ESC[2J}, {@code ESC]0;...BEL}, a CR or LF followed by "sse-cat: ..."). So
 * {@link #safe} writes as escapes: every C0 control (CR, LF and tab too, as {@code \r}, {@code \n}, {@code \t}; the
 * others as {@code \}{@code u001b}-style escapes), DEL, the C1 controls U+0080 to U+009F (8-bit CSI and OSC, which
 * some terminals obey), the bidirectional formatting characters that reorder what a line shows (U+061C, U+200E,
 * U+200F, U+202A to U+202E, U+2066 to U+2069), U+2028 and U+2029, and unpaired surrogates (which have no UTF-8 form).
 * A backslash is left as is: these lines are for people, not parsers.
 */
final class Terminal {

    private final PrintStream err;

    Terminal(PrintStream err) {
        this.err = err;
    }

    /** Prints one line, made safe for a terminal. */
    void line(String text) {
        err.println(safe(text));
    }

    static String safe(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (pair || !unsafe(c)) {
                if (sb != null) {
                    sb.append(c);
                    if (pair) {
                        sb.append(s.charAt(i + 1));
                    }
                }
                if (pair) {
                    i++;
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            switch (c) {
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    Json.unicodeEscape(sb, c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u061C' || c == '\u200E' || c == '\u200F'
                || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u2028'
                || c == '\u2029' || Character.isSurrogate(c);
    }
}
