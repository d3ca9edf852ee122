package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the client reads from the wire, through a real socket, in awkward chunkings. */
class SseClientParsingTest {

    private final Recorder recorder = new Recorder();
    private SseClient client;
    private ScriptedServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static RetryPolicy fast() {
        return RetryPolicy.builder().baseDelay(Duration.ofMillis(10)).minDelay(Duration.ofMillis(10)).jitter(0)
                .build();
    }

    /** Serves the bytes on the first connection, then holds later connections open until the client leaves. */
    private void serve(ScriptedServer.Script first) throws Exception {
        server = new ScriptedServer(first, ex -> {
            ex.stream();
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        client = SseClient.builder(server.uri()).retryPolicy(fast()).start(recorder);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eventsSurviveOneByteReads() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.trickle(utf8("id: 1\nevent: greet\ndata: héllo 😀\r\ndata: two\r\n\r\n"));
        });
        assertThat(recorder.takeEvent()).isEqualTo(MessageEvent.of("greet", "héllo 😀\ntwo", "1"));
    }

    @Test
    void crlfSplitBetweenReadsEndsOneLineOnly() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("data: a\r");
            ex.send("\ndata: b\r");
            ex.send("\n\r");
            ex.send("\n");
            ex.send("data: c\n\n");
        });
        assertThat(recorder.takeEvent().data()).isEqualTo("a\nb");
        assertThat(recorder.takeEvent().data()).isEqualTo("c");
        recorder.assertNoMoreEvents();
    }

    @Test
    void multiByteUtf8SplitAcrossReadsIsDecodedWhole() throws Exception {
        byte[] frame = utf8("data: €😀\n\n");
        serve(ex -> {
            ex.stream();
            ex.write(Arrays.copyOfRange(frame, 0, 7));
            ex.write(Arrays.copyOfRange(frame, 7, 10));
            ex.write(Arrays.copyOfRange(frame, 10, frame.length));
        });
        assertThat(recorder.takeEvent().data()).isEqualTo("€😀");
    }

    @Test
    void lfCrAndCrlfAllEndLines() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("data: lf\n\ndata: cr\r\rdata: crlf\r\n\r\n");
        });
        assertThat(recorder.takeEvent().data()).isEqualTo("lf");
        assertThat(recorder.takeEvent().data()).isEqualTo("cr");
        assertThat(recorder.takeEvent().data()).isEqualTo("crlf");
    }

    @Test
    void byteOrderMarkIsStrippedOnceEvenWhenSplitAcrossReads() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.write(new byte[] {(byte) 0xEF});
            ex.write(new byte[] {(byte) 0xBB, (byte) 0xBF});
            // A second BOM is no longer at the stream start: it belongs to the field name, an unknown field.
            ex.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
            ex.send("data: ignored\n\ndata: kept\n\n");
        });
        assertThat(recorder.takeEvent().data()).isEqualTo("kept");
        recorder.assertNoMoreEvents();
    }

    @Test
    void emptyDataAndDataWithoutColonDispatchEventsWithEmptyData() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("data\n\ndata:\n\ndata\ndata\n\n");
        });
        assertThat(recorder.takeEvent().data()).isEmpty();
        assertThat(recorder.takeEvent().data()).isEmpty();
        assertThat(recorder.takeEvent().data()).isEqualTo("\n");
    }

    @Test
    void unknownFieldsAndCommentsDoNotDispatch() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("foo: bar\n: a comment\nDATA: no\n\ndata: yes\n\n");
        });
        assertThat(recorder.takeEvent().data()).isEqualTo("yes");
        assertThat(Recorder.take(recorder.comments, "comment")).isEqualTo("a comment");
        recorder.assertNoMoreEvents();
    }

    @Test
    void eventTypeDefaultsToMessageAndDoesNotCarryOver() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("event: a\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n");
        });
        assertThat(recorder.takeEvent().type()).isEqualTo("a");
        assertThat(recorder.takeEvent().type()).isEqualTo("message");
        assertThat(recorder.takeEvent().type()).isEqualTo("message");
    }

    @Test
    void idPersistsAcrossEventsUntilAnEmptyIdClearsIt() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
        });
        assertThat(recorder.takeEvent().lastEventId()).isEqualTo("5");
        assertThat(recorder.takeEvent().lastEventId()).isEqualTo("5");
        assertThat(recorder.takeEvent().lastEventId()).isEmpty();
    }

    @Test
    void idContainingNulIsIgnored() throws Exception {
        serve(ex -> {
            ex.stream();
            ex.send("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n");
        });
        assertThat(recorder.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(recorder.takeEvent().lastEventId()).isEqualTo("1");
    }

    @Test
    void retryWithLeadingZerosReplacesTheBaseDelay() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("retry: 0200\n\n");
        });
        client = SseClient.builder(server.uri())
                .retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMinutes(1)).minDelay(Duration.ofMillis(10))
                        .jitter(0).build())
                .start(recorder);
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void retryWithANonDigitIsIgnored() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("retry: 1000x\n\n");
        });
        client = SseClient.builder(server.uri())
                .retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofSeconds(20)).jitter(0).build())
                .start(recorder);
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofSeconds(20));
    }
}
