package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.Json;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Broadcasts {@code event: update} with {@code {"time":"HH:mm:ss","message":"..."}} every second. */
@Component
class ClockTicker {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final List<String> MESSAGES = List.of(
            "Hello from Spring Boot",
            "Pushed by the server, not polled",
            "One HTTP response, many events",
            "Reload the page: the stream picks up again",
            "Plain HTTP: no WebSocket upgrade needed",
            "A slow client never holds up the others",
            "Every event carries an id for resuming",
            "Open a second tab and post a notification");

    private final Hub hub;
    // Only the scheduler's single thread ticks.
    private long ticks;

    ClockTicker(@Qualifier("clock") Hub hub) {
        this.hub = hub;
    }

    @Scheduled(fixedRate = 1000)
    void tick() {
        String message = MESSAGES.get((int) (ticks++ % MESSAGES.size()));
        String json = "{\"time\":" + Json.quote(TIME.format(LocalTime.now())) + ",\"message\":" + Json.quote(message)
                + "}";
        try {
            hub.broadcast(SseEvent.builder().event("update").data(json).build());
        } catch (IllegalStateException stopping) {
            // The hub has shut down: the application is stopping, and the scheduler with it.
        }
    }
}
