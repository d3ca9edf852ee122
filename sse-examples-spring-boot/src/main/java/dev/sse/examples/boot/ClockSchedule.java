package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.ClockTicker;
import java.time.LocalTime;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Broadcasts {@code event: update} with {@code {"time":"HH:mm:ss","message":"..."}} every second. */
@Component
class ClockSchedule {

    private final Hub hub;
    // Only the scheduler's single thread ticks.
    private long ticks;

    ClockSchedule(@Qualifier("clock") Hub hub) {
        this.hub = hub;
    }

    @Scheduled(fixedRate = 1000)
    void tick() {
        String json = ClockTicker.updateJson(LocalTime.now(), ticks++);
        try {
            hub.broadcast(SseEvent.builder().event("update").data(json).build());
        } catch (IllegalStateException stopping) {
            // The hub has shut down: the application is stopping, and the scheduler with it.
        }
    }
}
