package dev.sse.examples.shared;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code POST /api/v1/chat}: the prompt's words and how to stream them back. Immutable.
 *
 * <p>Query: {@code tokens}, 1 to {@value #MAX_TOKENS} (default {@value #DEFAULT_TOKENS}), and {@code interval} in
 * milliseconds, 0 to {@value #MAX_INTERVAL_MILLIS} (default {@value #DEFAULT_INTERVAL_MILLIS}), each written in
 * decimal digits and given at most once. Other parameters are ignored, as the publish endpoint ignores them. The
 * body is the prompt, UTF-8, with at least one word; words are split on whitespace
 * ({@link Character#isWhitespace(int)}), so no word holds a line break.
 */
public final class ChatRequest {

    /** The most bytes a prompt may have: 64 KiB. */
    public static final int MAX_PROMPT_BYTES = 64 * 1024;
    /** The tokens streamed unless {@code tokens} says otherwise. */
    public static final int DEFAULT_TOKENS = 20;
    /** The most tokens one answer may have. */
    public static final int MAX_TOKENS = 2000;
    /** The time between tokens unless {@code interval} says otherwise, in milliseconds. */
    public static final int DEFAULT_INTERVAL_MILLIS = 50;
    /** The longest time between tokens, in milliseconds. */
    public static final int MAX_INTERVAL_MILLIS = 1000;

    private final int tokens;
    private final int intervalMillis;
    private final List<String> words;

    private ChatRequest(int tokens, int intervalMillis, List<String> words) {
        this.tokens = tokens;
        this.intervalMillis = intervalMillis;
        this.words = words;
    }

    /**
     * Reads the query, before the body is read, so that a bad parameter is refused without reading it.
     *
     * @param rawQuery the request's query string as received, or {@code null}
     * @return the request, without its prompt yet
     * @throws BadRequest naming {@code tokens} or {@code interval}
     */
    public static ChatRequest fromQuery(String rawQuery) throws BadRequest {
        String tokens = null;
        String interval = null;
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                if (name.equals("tokens")) {
                    if (tokens != null) {
                        throw new BadRequest("tokens must be given at most once", "tokens");
                    }
                    tokens = value;
                } else if (name.equals("interval")) {
                    if (interval != null) {
                        throw new BadRequest("interval must be given at most once", "interval");
                    }
                    interval = value;
                }
            }
        }
        return new ChatRequest(number("tokens", tokens, DEFAULT_TOKENS, 1, MAX_TOKENS, ""),
                number("interval", interval, DEFAULT_INTERVAL_MILLIS, 0, MAX_INTERVAL_MILLIS, " milliseconds"), null);
    }

    private static int number(String name, String raw, int dflt, int least, int most, String unit)
            throws BadRequest {
        if (raw == null) {
            return dflt;
        }
        String rule = name + " must be a whole number from " + least + " to " + most + unit;
        boolean digits = !raw.isEmpty() && raw.length() <= 9 && raw.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits) {
            String shown = raw.length() > 20 ? raw.substring(0, 20) + "..." : raw;
            throw new BadRequest(rule + " (was \"" + shown + "\")", name);
        }
        int n = Integer.parseInt(raw);
        if (n < least || n > most) {
            throw new BadRequest(rule + " (was " + n + ")", name);
        }
        return n;
    }

    /**
     * Adds the prompt.
     *
     * @param prompt the body, already decoded
     * @return the whole request
     * @throws BadRequest naming {@code body} when the prompt is empty or has no word
     */
    public ChatRequest withPrompt(String prompt) throws BadRequest {
        if (prompt.isEmpty()) {
            throw new BadRequest("body must be the prompt: 1 to " + MAX_PROMPT_BYTES + " bytes of UTF-8 text", "body");
        }
        List<String> found = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < prompt.length(); ) {
            int cp = prompt.codePointAt(i);
            if (Character.isWhitespace(cp)) {
                if (start >= 0) {
                    found.add(prompt.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            found.add(prompt.substring(start));
        }
        if (found.isEmpty()) {
            throw new BadRequest("body must contain at least one word", "body");
        }
        return new ChatRequest(tokens, intervalMillis, List.copyOf(found));
    }

    /** @return how many tokens to stream */
    public int tokens() {
        return tokens;
    }

    /** @return the time between two tokens, in milliseconds */
    public int intervalMillis() {
        return intervalMillis;
    }

    /** @return the prompt's words, or {@code null} before {@link #withPrompt} */
    public List<String> words() {
        return words;
    }

    /**
     * @param index from 0
     * @return the token at that index: the prompt's words, cycling
     */
    public String token(int index) {
        return words.get(index % words.size());
    }

    @Override
    public String toString() {
        return "ChatRequest[tokens=" + tokens + ", interval=" + intervalMillis + " ms, words="
                + (words == null ? "?" : words.size()) + "]";
    }
}
