package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** A listener that records every callback in order, for tests to take one by one and then assert nothing is left. */
final class RecordingListener implements SseParser.Listener {

    sealed interface Item permits Event, Comment, Retry {
    }

    record Event(String type, String data, String lastEventId) implements Item {
    }

    record Comment(String text) implements Item {
    }

    record Retry(long millis) implements Item {
    }

    private final Deque<Item> items = new ArrayDeque<>();

    @Override
    public void onEvent(String type, String data, String lastEventId) {
        items.add(new Event(type, data, lastEventId));
    }

    @Override
    public void onComment(String comment) {
        items.add(new Comment(comment));
    }

    @Override
    public void onRetry(long millis) {
        items.add(new Retry(millis));
    }

    /** Parses the whole string, as UTF-8, in one chunk with a new parser, and returns the parser. */
    static SseParser parse(RecordingListener listener, String stream) {
        SseParser parser = new SseParser(listener);
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        parser.feed(bytes, 0, bytes.length);
        return parser;
    }

    Event takeEvent() {
        return take(Event.class);
    }

    Comment takeComment() {
        return take(Comment.class);
    }

    Retry takeRetry() {
        return take(Retry.class);
    }

    private <T extends Item> T take(Class<T> kind) {
        Item next = items.poll();
        assertThat(next).as("next recorded item").isInstanceOf(kind);
        return kind.cast(next);
    }

    /** Returns and forgets everything recorded so far. */
    List<Item> drain() {
        List<Item> all = new ArrayList<>(items);
        items.clear();
        return all;
    }

    void assertExhausted() {
        assertThat(items).as("unexpected callbacks").isEmpty();
    }
}
