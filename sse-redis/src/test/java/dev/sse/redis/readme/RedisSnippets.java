package dev.sse.redis.readme;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.redis.RedisBackplane;
import java.time.Duration;

/** README, "Many nodes (Redis)", verbatim (see ReadmeSnippetsTest); compiled, so it cannot rot. */
final class RedisSnippets {

    private RedisSnippets() {
    }

    static String inCode() {
Hub hub = Hub.builder()
        .backplane(RedisBackplane.builder("redis://10.0.0.5:6379")
                .streamKey("sse:prices")            // one stream per hub, the same on every node (default sse:{events})
                .maxLength(10_000)                  // XADD ... MAXLEN ~ 10000: how far back clients can resume
                .maxAge(Duration.ofMinutes(10))     // optional: also XTRIM MINID ~ older entries
                .build())
        .build();
String id = hub.broadcast("eur", SseEvent.data("1.0842"));   // the entry id, e.g. "1718000000000-0"
        hub.close();
        return id;
    }
}
