package dev.sse.core.http;

/**
 * The few JSON texts the HTTP rules answer with. Stateless.
 */
public final class Json {

    private Json() {
    }

    /**
     * An error document: {@code {"error":message}}, with {@code ,"field":field} when a field is named.
     *
     * @param message what is wrong, for a person
     * @param field the parameter, header or part at fault, or {@code null}
     * @return the JSON text
     */
    public static String error(String message, String field) {
        return "{\"error\":" + quote(message) + (field == null ? "" : ",\"field\":" + quote(field)) + "}";
    }

    /**
     * Quotes a JSON string. Control characters, U+2028, U+2029 and every surrogate are escaped as {@code \\uXXXX}, so
     * the text is safe inside a script and an unpaired surrogate never becomes {@code ?} in UTF-8.
     *
     * @param s the text
     * @return the quoted text
     */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
