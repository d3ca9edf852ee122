package dev.sse.examples.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chat's HTTP contract ({@code POST /api/v1/chat}, the {@code chat} stats), over raw sockets, written once and
 * run against both demos: sse-examples (Jetty, web.xml) and sse-examples-spring-boot (Tomcat, a controller). A
 * subclass starts its demo and says where it listens.
 */
public abstract class ChatContractTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Pattern CHAT_STATS =
            Pattern.compile("\"chat\":\\{\"active\":(\\d+),\"completed\":(\\d+),\"cancelled\":(\\d+)\\}");

    /** @return the demo's port on 127.0.0.1 */
    protected abstract int port();

    /** @return the demo's generator, to see the tokens it produces */
    protected abstract ChatGenerator generator();

    @Test
    void threeWordsFiveTokensAreTheExactEventsThenDoneAndTheEnd() throws Exception {
        Answer a = post("/api/v1/chat?tokens=5&interval=0", "a b c");
        assertThat(a.status).as(a.head).isEqualTo(200);
        assertThat(a.header("Content-Type").replace(" ", "").toLowerCase(Locale.ROOT))
                .isEqualTo("text/event-stream;charset=utf-8");
        assertThat(a.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(a.header("X-Accel-Buffering")).isEqualTo("no");
        assertThat(a.body).isEqualTo("id: 1\nevent: token\ndata: a\n\n"
                + "id: 2\nevent: token\ndata: b\n\n"
                + "id: 3\nevent: token\ndata: c\n\n"
                + "id: 4\nevent: token\ndata: a\n\n"
                + "id: 5\nevent: token\ndata: b\n\n"
                + "event: done\ndata: [DONE]\n\n");
    }

    @Test
    void wordsAreSplitOnAnyWhitespaceAndTokensDefaultToTwenty() throws Exception {
        Answer a = post("/api/v1/chat?interval=0", "  one\ttwo\r\n three\u2003 ");
        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).startsWith("id: 1\nevent: token\ndata: one\n\nid: 2\nevent: token\ndata: two\n\n"
                + "id: 3\nevent: token\ndata: three\n\nid: 4\nevent: token\ndata: one\n\n");
        assertThat(a.body).endsWith("id: 20\nevent: token\ndata: two\n\nevent: done\ndata: [DONE]\n\n");
        assertThat(a.body.split("event: token", -1)).hasSize(21);
    }

    @Test
    void unknownQueryParametersAreIgnoredAsPublishingIgnoresThem() throws Exception {
        Answer a = post("/api/v1/chat?model=gpt&tokens=1&interval=0&stream=true", "hi");
        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).isEqualTo("id: 1\nevent: token\ndata: hi\n\nevent: done\ndata: [DONE]\n\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tokens=0|tokens|tokens must be a whole number from 1 to 2000 (was 0)",
        "tokens=2001|tokens|tokens must be a whole number from 1 to 2000 (was 2001)",
        "tokens=abc|tokens|tokens must be a whole number from 1 to 2000 (was \\\"abc\\\")",
        "tokens=|tokens|tokens must be a whole number from 1 to 2000 (was \\\"\\\")",
        "tokens=-1|tokens|tokens must be a whole number from 1 to 2000 (was \\\"-1\\\")",
        "tokens=99999999999|tokens|tokens must be a whole number from 1 to 2000 (was \\\"99999999999\\\")",
        "tokens=1&tokens=2|tokens|tokens must be given at most once",
        "interval=1001|interval|interval must be a whole number from 0 to 1000 milliseconds (was 1001)",
        "interval=-5|interval|interval must be a whole number from 0 to 1000 milliseconds (was \\\"-5\\\")",
        "interval=0.5|interval|interval must be a whole number from 0 to 1000 milliseconds (was \\\"0.5\\\")",
    })
    void aBadParameterIsA400NamingIt(String query, String field, String message) throws Exception {
        Answer a = post("/api/v1/chat?" + query, "a b c");
        assertThat(a.status).isEqualTo(400);
        assertThat(a.header("Content-Type")).startsWith("application/json");
        assertThat(a.body).isEqualTo("{\"error\":\"" + message + "\",\"field\":\"" + field + "\"}");
    }

    @Test
    void anEmptyPromptIsA400NamingTheBody() throws Exception {
        Answer a = post("/api/v1/chat", "");
        assertThat(a.status).isEqualTo(400);
        assertThat(a.body).isEqualTo("{\"error\":\"body must be the prompt: 1 to 65536 bytes of UTF-8 text\","
                + "\"field\":\"body\"}");
    }

    @Test
    void aPromptWithoutAWordIsA400NamingTheBody() throws Exception {
        Answer a = post("/api/v1/chat", " \t\r\n ");
        assertThat(a.status).isEqualTo(400);
        assertThat(a.body).isEqualTo("{\"error\":\"body must contain at least one word\",\"field\":\"body\"}");
    }

    @Test
    void aPromptThatIsNotUtf8IsA400NamingTheBody() throws Exception {
        Answer a = exchange(request("POST", "/api/v1/chat", null, 4), new byte[] {'o', 'k', (byte) 0xC3, '('});
        assertThat(a.status).isEqualTo(400);
        assertThat(a.body).isEqualTo("{\"error\":\"body is not valid UTF-8 (bad byte sequence at byte offset 2)\","
                + "\"field\":\"body\"}");
    }

    @Test
    void aPromptOfExactly64KiBIsAccepted() throws Exception {
        String prompt = "ab ".repeat(65536 / 3) + "x".repeat(65536 % 3);
        assertThat(prompt.length()).isEqualTo(65536);
        Answer a = post("/api/v1/chat?tokens=1&interval=0", prompt);
        assertThat(a.status).isEqualTo(200);
        assertThat(a.body).isEqualTo("id: 1\nevent: token\ndata: ab\n\nevent: done\ndata: [DONE]\n\n");
    }

    @Test
    void aContentLengthOver64KiBIsA413BeforeTheBodyIsSent() throws Exception {
        // Only the head: the answer must come without the body.
        Answer a = exchange(request("POST", "/api/v1/chat", null, 65537), new byte[0]);
        assertThat(a.status).isEqualTo(413);
        assertThat(a.body).isEqualTo("{\"error\":\"body must be at most 65536 bytes\",\"field\":\"body\"}");
    }

    @Test
    void aChunkedPromptOver64KiBIsA413() throws Exception {
        String head = "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1:" + port() + "\r\nContent-Type: text/plain\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < 17; i++) {
            body.writeBytes(("1000\r\n" + "w ".repeat(2048) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Answer a = exchange(head.getBytes(StandardCharsets.US_ASCII), body.toByteArray());
        assertThat(a.status).isEqualTo(413);
        assertThat(a.body).contains("\"field\":\"body\"");
    }

    @Test
    void aStalledPromptIsA408NotAHeldThread() throws Exception {
        // Declares 10 bytes and sends 1: below 1024 bytes a second once the 5 s grace has passed.
        Answer a = exchange(request("POST", "/api/v1/chat", null, 10), new byte[] {'a'});
        assertThat(a.status).isEqualTo(408);
        assertThat(a.body).contains("\"field\":\"body\"");
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        for (String method : new String[] {"GET", "PUT", "DELETE"}) {
            Answer a = exchange(request(method, "/api/v1/chat", null, 0), new byte[0]);
            assertThat(a.status).as(method).isEqualTo(405);
            assertThat(a.header("Allow")).isEqualTo("POST, OPTIONS");
            assertThat(a.body).startsWith("{\"error\":");
        }
    }

    @Test
    void thePreflightAllowsTheServersOwnOriginAsPublishingDoes() throws Exception {
        String self = "http://localhost:" + port();
        Answer a = exchange(("OPTIONS /api/v1/chat HTTP/1.1\r\nHost: localhost:" + port() + "\r\nOrigin: " + self
                + "\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertThat(a.status).isEqualTo(204);
        assertThat(a.header("Access-Control-Allow-Origin")).isEqualTo(self);
        assertThat(a.header("Access-Control-Allow-Methods")).isEqualTo("POST");
    }

    @Test
    void anotherSitesPageMayNotChatNorPreflight() throws Exception {
        String evil = "https://attacker.example";
        Answer pre = exchange(("OPTIONS /api/v1/chat HTTP/1.1\r\nHost: localhost:" + port() + "\r\nOrigin: " + evil
                + "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertThat(pre.status).isEqualTo(403);
        assertThat(pre.header("Access-Control-Allow-Origin")).isNull();
        Answer post = exchange(request("POST", "/api/v1/chat?tokens=1", evil, 5), "a b c".getBytes(
                StandardCharsets.UTF_8));
        assertThat(post.status).isEqualTo(403);
        assertThat(post.body).isEqualTo("{\"error\":\"origin https://attacker.example may not chat here\"}");
    }

    @Test
    void theStatsKeepTheirKeysAndCountACompletedChat() throws Exception {
        long[] before = chatStats();
        assertThat(post("/api/v1/chat?tokens=2&interval=0", "x").status).isEqualTo(200);
        String stats = get("/api/v1/stats");
        assertThat(stats).startsWith("{\"connections\":").contains(",\"eventsBroadcast\":")
                .contains(",\"streams\":{\"clock\":{\"connections\":").contains("\"notifications\":{\"connections\":");
        long deadline = System.nanoTime() + WAIT.toNanos();
        long[] after = chatStats();
        while (after[1] == before[1] && System.nanoTime() < deadline) {
            after = chatStats();
        }
        assertThat(after[1]).as("completed").isEqualTo(before[1] + 1);
        assertThat(after[2]).as("cancelled").isEqualTo(before[2]);
    }

    @Test
    void aClientThatResetsMidStreamIsCancelledWithinAnIntervalAndItsTokensStop() throws Exception {
        int interval = 200;
        long[] before = chatStats();
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write(request("POST", "/api/v1/chat?tokens=2000&interval=" + interval, null, 5));
            s.getOutputStream().write("a b c".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            readUntil(s.getInputStream(), "id: 2\n");
            assertThat(chatStats()[0]).as("active").isEqualTo(before[0] + 1);
            // RST, not FIN: linger 0 makes close() abort the connection, as a killed client's kernel does.
            s.setSoLinger(true, 0);
        }
        long reset = System.nanoTime();
        long deadline = reset + Duration.ofMillis(interval + 100).toNanos();
        long[] now = chatStats();
        while (now[2] == before[2] && System.nanoTime() < deadline) {
            now = chatStats();
        }
        long tookMillis = (System.nanoTime() - reset) / 1_000_000;
        assertThat(now[2]).as("cancelled, polled for %d ms", tookMillis).isEqualTo(before[2] + 1);
        assertThat(now[0]).as("active").isEqualTo(before[0]);
        assertThat(now[1]).as("completed").isEqualTo(before[1]);

        long sent = generator().tokensSent();
        // Three more intervals in which a generator that kept going would have produced three tokens. One token may
        // already be on its way when the cancel is counted (its tick passed the check a moment before): at most that
        // one more (CI saw it once).
        long quiet = System.nanoTime() + Duration.ofMillis(3L * interval).toNanos();
        while (System.nanoTime() < quiet) {
            assertThat(generator().tokensSent()).as("tokens produced after the cancel").isBetween(sent, sent + 1);
            Thread.sleep(20);
        }
    }

    @Test
    void aReaderSlowerThanTheTokensGetsEveryOneInsteadOfBeingDropped() throws Exception {
        // 200 tokens of 60 KB: 12 MB, more than the socket buffers and the stream's 1 MiB queue hold together.
        String word = "w".repeat(60_000);
        int tokens = 200;
        long sentBefore = generator().tokensSent();
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            byte[] prompt = word.getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(request("POST", "/api/v1/chat?tokens=" + tokens + "&interval=0", null,
                    prompt.length));
            s.getOutputStream().write(prompt);
            s.getOutputStream().flush();
            // Read nothing until the generator has stalled: it waits for room instead of queueing more.
            long deadline = System.nanoTime() + WAIT.toNanos();
            long last = -1;
            long seen = generator().tokensSent();
            while (seen != last && System.nanoTime() < deadline) {
                last = seen;
                Thread.sleep(100);
                seen = generator().tokensSent();
            }
            assertThat(seen - sentBefore).as("tokens sent while the client read nothing").isLessThan(tokens);
            Answer a = Answer.parse(s.getInputStream().readAllBytes());
            assertThat(a.status).isEqualTo(200);
            assertThat(a.body.split("event: token\n", -1)).hasSize(tokens + 1);
            assertThat(a.body).contains("id: " + tokens + "\nevent: token\n").endsWith("event: done\ndata: [DONE]\n\n");
        }
    }

    // What follows: HTTP/1.1 by hand, so that the bytes on the wire are the ones asserted.

    private byte[] request(String method, String path, String origin, int contentLength) {
        return (method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port() + "\r\n"
                + "Content-Type: text/plain;charset=utf-8\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n")
                + (contentLength > 0 || method.equals("POST") ? "Content-Length: " + contentLength + "\r\n" : "")
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private Answer post(String path, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return exchange(request("POST", path, null, bytes.length), bytes);
    }

    private String get(String path) throws IOException {
        Answer a = exchange(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port() + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertThat(a.status).isEqualTo(200);
        return a.body;
    }

    /** @return active, completed, cancelled */
    private long[] chatStats() throws IOException {
        String stats = get("/api/v1/stats");
        Matcher m = CHAT_STATS.matcher(stats);
        assertThat(m.find()).as(stats).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    private Answer exchange(byte[] head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write(head);
            try {
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
            } catch (IOException e) {
                // The server may answer (413) and close before taking the whole body; its answer is still there.
            }
            return Answer.parse(readAll(s.getInputStream()));
        }
    }

    /** Reads an answer: to its {@code Content-Length} if it has one (Tomcat may keep the connection), else to EOF. */
    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while (!whole(out) && (n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // A reset after the answer (the server closed with the body unread): what arrived is the answer.
            if (out.size() == 0) {
                throw e;
            }
        }
        return out.toByteArray();
    }

    private static boolean whole(ByteArrayOutputStream out) {
        String all = out.toString(StandardCharsets.ISO_8859_1);
        int end = all.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        Matcher m = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)\r\n").matcher(all.substring(0, end + 2));
        return m.find() && all.length() - end - 4 >= Long.parseLong(m.group(1));
    }

    private static void readUntil(InputStream in, String marker) throws IOException {
        StringBuilder got = new StringBuilder();
        byte[] buf = new byte[1024];
        while (got.indexOf(marker) < 0) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("ended before " + marker + "; got " + got);
            }
            got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
    }

    /** A parsed answer: status, head, and the body with any chunked encoding undone. */
    private static final class Answer {
        final int status;
        final String head;
        final String body;

        private Answer(int status, String head, String body) {
            this.status = status;
            this.head = head;
            this.body = body;
        }

        static Answer parse(byte[] bytes) {
            // One char per byte for the framing; the body is decoded as UTF-8 once whole.
            String all = new String(bytes, StandardCharsets.ISO_8859_1);
            int end = all.indexOf("\r\n\r\n");
            assertThat(end).as("an HTTP answer: %s", all).isPositive();
            String head = all.substring(0, end + 2);
            String body = all.substring(end + 4);
            if (head.toLowerCase(Locale.ROOT).contains("\r\ntransfer-encoding: chunked\r\n")) {
                body = dechunk(body);
            }
            return new Answer(Integer.parseInt(head.substring(9, 12)), head,
                    new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        }

        private static String dechunk(String chunked) {
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (true) {
                int eol = chunked.indexOf("\r\n", i);
                int semi = chunked.indexOf(';', i);
                String size = chunked.substring(i, semi >= 0 && semi < eol ? semi : eol).trim();
                int n = Integer.parseInt(size, 16);
                if (n == 0) {
                    return out.toString();
                }
                out.append(chunked, eol + 2, eol + 2 + n);
                i = eol + 2 + n + 2;
            }
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }
}
