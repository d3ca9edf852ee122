package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.DemoStats;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/v1/} (greeting) and {@code GET /api/v1/stats}, with the chat's counters. */
@RestController
class ApiController {

    private final Map<String, Hub> hubs;
    private final ChatGenerator chat;

    ApiController(Map<String, Hub> hubs, ChatGenerator chat) {
        this.hubs = hubs;
        this.chat = chat;
    }

    @GetMapping(value = "/api/v1/", produces = "text/plain;charset=utf-8")
    String greeting() {
        return "Hello from the dev.sse demo on Spring Boot!\n\nGET /api/v1/sse for the clock, /api/v1/notifications"
                + " for notifications; POST to /api/v1/notifications to send one; POST a prompt to /api/v1/chat"
                + "?tokens=N&interval=MS to have its words streamed back.\n";
    }

    @GetMapping("/api/v1/stats")
    ResponseEntity<String> stats() {
        Map<String, Hub> named = new LinkedHashMap<>();
        named.put("clock", hubs.get("clock"));
        named.put("notifications", hubs.get("notifications"));
        String body = DemoStats.json(named, chat.statsJson());
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store")
                .body(body);
    }
}
