package dev.sse.spring.boot.readme;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** README, "Spring Boot": the controller, verbatim (see ReadmeSnippetsTest); compiled, so it cannot rot. */
@RestController
class Prices {
    private final Hub hub;
    Prices(Hub hub) { this.hub = hub; }

    @PostMapping("/prices") String publish(@RequestBody String json) {
        return hub.broadcast(SseEvent.of("price", json));          // the id the clients resume from
    }
}
