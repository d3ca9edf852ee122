package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.SseParser;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncoderBenchmarkTest {

    @Test
    void oursSpringAndJerseyPutTheSameShortEventOnTheWireForEveryRecipient() throws Exception {
        for (String method : new String[] {"ours", "spring", "jersey"}) {
            assertThat(eventsWritten(EncoderBenchmark.SHORT, method)).as(method).containsExactly(
                    "update|{\"seq\":1042,\"price\":101.25}|1042", "update|{\"seq\":1042,\"price\":101.25}|1042",
                    "update|{\"seq\":1042,\"price\":101.25}|1042");
        }
    }

    @Test
    void oursSpringAndJerseyPutTheSameMultiLineEventOnTheWireForEveryRecipient() throws Exception {
        String expected = "update|" + EncoderBenchmark.text(EncoderBenchmark.MULTI_LINE_4K) + "|1042";
        for (String method : new String[] {"ours", "spring", "jersey"}) {
            assertThat(eventsWritten(EncoderBenchmark.MULTI_LINE_4K, method)).as(method)
                    .containsExactly(expected, expected, expected);
        }
    }

    @Test
    void multiLineDataIsSixtyFourLinesOfFourKibibytes() {
        String text = EncoderBenchmark.text(EncoderBenchmark.MULTI_LINE_4K);

        assertThat(text.lines()).hasSize(64);
        assertThat(text.length() + 1).isEqualTo(4096);
    }

    private static List<String> eventsWritten(String data, String method) throws Exception {
        EncoderBenchmark bench = new EncoderBenchmark();
        bench.data = data;
        bench.recipients = 3;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bench.prepare(out);
        switch (method) {
            case "ours":
                bench.ours();
                break;
            case "spring":
                bench.spring();
                break;
            default:
                bench.jersey();
        }
        List<String> events = new ArrayList<>();
        byte[] bytes = out.toByteArray();
        new SseParser((type, d, id) -> events.add(type + "|" + d + "|" + id)).feed(bytes, 0, bytes.length);
        return events;
    }
}
