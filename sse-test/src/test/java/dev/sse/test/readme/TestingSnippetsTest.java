package dev.sse.test.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.test.RecordingChannel;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** README, "Testing": the in-memory examples, verbatim (see ReadmeSnippetsTest), and run. */
class TestingSnippetsTest {

    /** "Your code": publishes prices on their topic. */
    record PricePublisher(Hub hub) {
        void publish(String currency, String price) {
            hub.broadcast(currency, SseEvent.data(price));
        }
    }

    /** "Your code": answers a prompt word by word. */
    static final class Answers {
        void stream(String prompt, SseStream stream) {
            for (String word : prompt.split(" ")) {
                stream.send(SseEvent.of("token", word));
            }
            stream.complete(SseEvent.data("[DONE]"));
        }
    }

    private final Answers answers = new Answers();
    private final String prompt = "hello there";

@Test
void pricesReachSubscribersOnly() {
    Hub hub = Hub.create();
    RecordingChannel eur = RecordingChannel.open(hub, ChannelOptions.builder().topics(Set.of("eur")).build());
    RecordingChannel other = RecordingChannel.open(hub);

    new PricePublisher(hub).publish("eur", "1.0842");          // your code

    assertThat(eur.awaitEvents(1, Duration.ofSeconds(1))).extracting(SseEvent::data).containsExactly("1.0842");
    assertThat(other.events()).isEmpty();
    assertThat(eur.wire()).endsWith("data: 1.0842\n\n");      // the exact bytes, keep-alives included
}

    @Test
    void aProducerIsTestedWithoutHttp() {
RecordingChannel response = RecordingChannel.openStream(Hub.create());
answers.stream(prompt, response.stream());                     // sends tokens, then complete(SseEvent.data("[DONE]"))
assertThat(response.awaitClosed(Duration.ofSeconds(5))).isEqualTo(CloseReason.COMPLETED);
assertThat(response.data()).endsWith("[DONE]");
    }
}
