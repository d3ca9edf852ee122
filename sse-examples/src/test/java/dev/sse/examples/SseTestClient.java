package dev.sse.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test subscriber over a real socket: parses the stream as the WHATWG algorithm does (CR, LF and CRLF end lines)
 * on a reader thread and queues each dispatched event, so tests wait on {@link #next} with a deadline. Also keeps
 * the raw bytes, for assertions on the exact wire.
 */
final class SseTestClient implements AutoCloseable {

    /** A dispatched event: the last event id at dispatch, the type, the data. */
    record Event(String id, String type, String data) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Event END = new Event(null, null, null);

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final Thread reader;

    private SseTestClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-test-client");
        reader.setDaemon(true);
        reader.start();
    }

    static SseTestClient connect(URI uri) throws IOException, InterruptedException {
        return connect(uri, Map.of());
    }

    static SseTestClient connect(URI uri, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                .header("Accept", "text/event-stream");
        headers.forEach(request::header);
        return new SseTestClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    HttpResponse<InputStream> response() {
        return response;
    }

    /** Waits for the next event; fails the test if none arrives in time or the stream ended. */
    Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no event within " + timeout + "; received so far: " + rawText());
        }
        if (e == END) {
            events.add(END);
            throw new AssertionError("stream ended; received: " + rawText());
        }
        return e;
    }

    String rawText() {
        synchronized (raw) {
            return raw.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws IOException {
        response.body().close();
    }

    private void read() {
        String lastEventId = "";
        String type = "";
        StringBuilder data = new StringBuilder();
        boolean sawData = false;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean afterCr = false;
        byte[] buf = new byte[8192];
        try (InputStream in = response.body()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (raw) {
                    raw.write(buf, 0, n);
                }
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n' && afterCr) {
                        afterCr = false;
                        continue;
                    }
                    afterCr = b == '\r';
                    if (b != '\n' && b != '\r') {
                        line.write(b);
                        continue;
                    }
                    String l = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (l.isEmpty()) {
                        if (sawData) {
                            events.add(new Event(lastEventId, type.isEmpty() ? "message" : type,
                                    data.substring(0, data.length() - 1)));
                        }
                        type = "";
                        data.setLength(0);
                        sawData = false;
                        continue;
                    }
                    int colon = l.indexOf(':');
                    if (colon == 0) {
                        continue;
                    }
                    String field = colon < 0 ? l : l.substring(0, colon);
                    String value = colon < 0 ? "" : l.substring(colon + 1);
                    if (value.startsWith(" ")) {
                        value = value.substring(1);
                    }
                    switch (field) {
                        case "event" -> type = value;
                        case "data" -> {
                            data.append(value).append('\n');
                            sawData = true;
                        }
                        case "id" -> {
                            if (value.indexOf('\0') < 0) {
                                lastEventId = value;
                            }
                        }
                        default -> {
                        }
                    }
                }
            }
        } catch (IOException e) {
            // The test closed the stream, or the server ended it: both end the recording.
        } finally {
            events.add(END);
        }
    }
}
