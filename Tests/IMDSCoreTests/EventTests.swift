import Testing
@testable import IMDSCore

@Suite struct EventTests {
    let md = "/latest/meta-data/"

    func spotService(autoScaling: String? = nil) -> (IMDSService, ManualClock, String) {
        var settings = ServiceSettings()
        settings.instance.instanceLifeCycle = "spot"
        settings.instance.autoScalingGroup = autoScaling
        let (service, clock) = makeService(settings)
        return (service, clock, token(service))
    }

    func spec(_ members: [(String, JSONValue)]) -> JSONValue { .object(members) }

    @Test func spotInterruptionAppearsAtItsTimeAsEC2WritesIt() throws {
        let (service, clock, t) = spotService()
        #expect(get(service, md + "instance-life-cycle", token: t).body == "spot")
        _ = try service.addEvent(spec: spec([("type", .string("spot-interruption")), ("after_seconds", .int(60))]))
        #expect(get(service, md + "spot/instance-action", token: t).status == 404)
        #expect(!get(service, md, token: t).body.split(separator: "\n").contains("spot/"))
        clock.advance(by: Seconds(60))
        let action = get(service, md + "spot/instance-action", token: t)
        #expect(action.status == 200)
        #expect(action.body == "{\"action\": \"terminate\", \"time\": \"2026-11-21T22:03:00Z\"}")
        #expect(get(service, md + "spot/termination-time", token: t).body == "2026-11-21T22:03:00Z")
        #expect(get(service, md + "spot/", token: t).body == "instance-action\ntermination-time")
        #expect(get(service, md, token: t).body.split(separator: "\n").contains("spot/"))
    }

    @Test func stopAndHibernateHaveNoTerminationTime() throws {
        let (service, _, t) = spotService()
        _ = try service.addEvent(spec: spec([("type", .string("spot-interruption")), ("action", .string("hibernate")),
                                             ("action_after_seconds", .int(30))]))
        #expect(get(service, md + "spot/instance-action", token: t).body == "{\"action\": \"hibernate\", \"time\": \"2026-11-21T22:00:30Z\"}")
        #expect(get(service, md + "spot/termination-time", token: t).status == 404)
    }

    @Test func eventsCanBeShownToOneClientOnly() throws {
        let (service, _, t) = spotService()
        _ = try service.addEvent(spec: spec([("type", .string("rebalance-recommendation")), ("client", .string("10.0.0.7"))]))
        _ = try service.addEvent(spec: spec([("type", .string("spot-interruption")), ("user_agent", .string("node-termination-handler"))]))
        func ask(_ path: String, client: String, ua: String) -> Response {
            var h = HTTPHeaders([("User-Agent", ua)])
            h.add("X-aws-ec2-metadata-token", t)
            return service.handle(Request(method: .get, target: md + path, headers: h, clientAddress: client))
        }
        #expect(ask("events/recommendations/rebalance", client: "10.0.0.7", ua: "x").body == "{\"noticeTime\": \"2026-11-21T22:00:00Z\"}")
        #expect(ask("events/recommendations/rebalance", client: "10.0.0.8", ua: "x").status == 404)
        #expect(ask("spot/instance-action", client: "10.0.0.8", ua: "aws-node-termination-handler/1.0").status == 200)
        #expect(ask("spot/instance-action", client: "10.0.0.7", ua: "curl/8").status == 404)
    }

    @Test func maintenanceIsScheduledThenHistory() throws {
        let (service, clock, t) = spotService()
        #expect(get(service, md + "events/maintenance/scheduled", token: t).body == "[]")
        let event = try service.addEvent(spec: spec([
            ("type", .string("maintenance")), ("code", .string("system-reboot")),
            ("not_before", .string("2026-11-21T23:00:05Z")), ("not_after", .string("2026-11-22T01:00:00Z")),
            ("event_id", .string("instance-event-0d59937288b749b32")),
        ]))
        let expected = """
        [ {
          "NotBefore" : "21 Nov 2026 23:00:05 GMT",
          "Code" : "system-reboot",
          "Description" : "scheduled reboot",
          "EventId" : "instance-event-0d59937288b749b32",
          "NotAfter" : "22 Nov 2026 01:00:00 GMT",
          "State" : "active"
        } ]
        """
        #expect(get(service, md + "events/maintenance/scheduled", token: t).body == expected)
        #expect(get(service, md + "events/maintenance/history", token: t).body == "[]")
        clock.set(Timestamp(iso8601: "2026-11-22T01:00:00Z")!)
        #expect(get(service, md + "events/maintenance/scheduled", token: t).body == "[]")
        #expect(get(service, md + "events/maintenance/history", token: t).body.contains("\"State\" : \"completed\""))
        _ = service.setMaintenanceState(event.id, .canceled)
        #expect(get(service, md + "events/maintenance/history", token: t).body.contains("\"State\" : \"canceled\""))
    }

    @Test func autoScalingStateFollowsItsEvent() throws {
        let (service, clock, t) = spotService(autoScaling: "web-asg")
        #expect(get(service, md + "autoscaling/target-lifecycle-state", token: t).body == "InService")
        _ = try service.addEvent(spec: spec([("type", .string("autoscaling")), ("target_state", .string("Warmed:Stopped")),
                                             ("at", .string("2026-11-21T22:10:00Z"))]))
        #expect(get(service, md + "autoscaling/target-lifecycle-state", token: t).body == "InService")
        clock.advance(by: .minutes(10))
        #expect(get(service, md + "autoscaling/target-lifecycle-state", token: t).body == "Warmed:Stopped")
        let (plain, _) = makeService()
        #expect(get(plain, md + "autoscaling/target-lifecycle-state", token: token(plain)).status == 404)
    }

    @Test func aTerminatedInstanceStopsAnsweringWhenAsked() throws {
        let (service, clock, t) = spotService()
        _ = try service.addEvent(spec: spec([("type", .string("spot-interruption")), ("stop_answering", .bool(true)),
                                             ("action_after_seconds", .int(120))]))
        #expect(get(service, md + "instance-id", token: t).status == 200)
        clock.advance(by: Seconds(120))
        let r = get(service, md + "instance-id", token: t)
        #expect(r.closeConnection)
        #expect(r.annotation.error?.hasPrefix("instance gone: spot terminate at 2026-11-21T22:02:00Z") == true)
        #expect(putToken(service).closeConnection)
        _ = service.removeEvent("evt-1")
        #expect(get(service, md + "instance-id", token: t).status == 200)
    }

    @Test func badSpecsNameTheirField() {
        let (onDemand, _) = makeService()
        func error(_ service: IMDSService, _ members: [(String, JSONValue)]) -> EventSpecError? {
            do { _ = try service.addEvent(spec: .object(members)); return nil } catch { return error }
        }
        #expect(error(onDemand, [("type", .string("spot-interruption"))])?.problem.contains("instance-life-cycle: spot") == true)
        let (spot, _, _) = spotService()
        #expect(error(spot, [])?.field == "type")
        #expect(error(spot, [("type", .string("maintenance")), ("colour", .string("x"))])?.field == "colour")
        #expect(error(spot, [("type", .string("maintenance")), ("at", .string("soon"))])?.field == "at")
        #expect(error(spot, [("type", .string("maintenance")), ("at", .string("2026-11-21T22:00:00Z")), ("after_seconds", .int(1))])?.field == "after_seconds")
        #expect(error(spot, [("type", .string("maintenance")), ("action", .string("stop"))])?.field == "action")
        #expect(error(spot, [("type", .string("maintenance")), ("not_before", .string("2026-11-22T00:00:00Z")),
                             ("not_after", .string("2026-11-21T00:00:00Z"))])?.field == "not_after")
        #expect(error(spot, [("type", .string("spot-interruption")), ("action", .string("hibernate")), ("stop_answering", .bool(true))])?.field == "stop_answering")
        #expect(error(spot, [("type", .string("autoscaling"))])?.problem.contains("auto-scaling-group") == true)
        #expect(spot.events.isEmpty)
        #expect(spot.events.nextId == "evt-1", "a refused spec uses no id")
    }

    @Test func configurationSchedulesEventsAndNamesBadKeys() throws {
        let instance: ConfigValue = .map([("instance-life-cycle", .scalar("spot"))])
        let events: ConfigValue = .list([
            .map([("type", .scalar("spot-interruption")), ("after", .scalar("90s")), ("action-after", .scalar("2m")),
                  ("stop-answering", .scalar("true"))]),
            .map([("type", .scalar("maintenance")), ("not-before", .scalar("2026-12-01T00:00:00Z"))]),
        ])
        let c = try Configuration(values: [("instance", instance), ("events", events)])
        #expect(c.events.count == 2)
        #expect(c.events[0]["after_seconds"] == .double(90))
        #expect(c.events[0]["stop_answering"] == .bool(true))
        let bad: ConfigValue = .list([.map([("type", .scalar("maintenance"))]),
                                      .map([("type", .scalar("maintenance")), ("not-before", .scalar("tomorrow"))])])
        #expect(throws: ConfigurationError(key: "events[1].not-before", "\"tomorrow\" is not a time; valid: YYYY-MM-DDTHH:MM:SSZ")) {
            try Configuration(values: [("events", bad)])
        }
        #expect(throws: ConfigurationError.self) {
            // A Spot event on an on-demand instance stops the start.
            try Configuration(values: [("events", .list([.map([("type", .scalar("spot-interruption"))])]))])
        }
        #expect(throws: ConfigurationError(key: "events[0].after", "\"soon\" is not a duration; valid: 90s, 15m, 6h")) {
            try Configuration(values: [("events", .list([.map([("type", .scalar("maintenance")), ("after", .scalar("soon"))])]))])
        }
    }

    @Test func controlAPIDrivesEventsAndJournalsThem() throws {
        let (service, clock, t) = spotService()
        let control = FakeControl(service: service, clock: clock)
        let api = ControlAPI(token: "tok", service: service, control: control)
        func call(_ method: HTTPMethod, _ target: String, _ body: String = "") -> Response {
            var answer: Response?
            api.handle(Request(method: method, target: target, headers: HTTPHeaders([("Authorization", "Bearer tok")]),
                               body: Array(body.utf8))) { answer = $0 }
            return answer ?? Response(status: -1)
        }
        let created = call(.post, "/v1/events", #"{"type": "maintenance", "after_seconds": 0, "code": "instance-stop"}"#)
        #expect(created.status == 201)
        #expect(created.body.contains("\"id\":\"evt-1\""))
        #expect(get(service, md + "events/maintenance/scheduled", token: t).body.contains("\"Code\" : \"instance-stop\""))
        #expect(call(.post, "/v1/events", #"{"type": "maintenance", "colour": 1}"#).status == 400)
        #expect(call(.patch, "/v1/events/evt-1", #"{"state": "canceled"}"#).body.contains("\"state\":\"canceled\""))
        #expect(call(.patch, "/v1/events/evt-1", #"{"state": "gone"}"#).status == 400)
        #expect(call(.post, "/v1/events", #"{"type": "rebalance-recommendation"}"#).status == 201)
        #expect(call(.patch, "/v1/events/evt-2", #"{"state": "canceled"}"#).status == 409)
        #expect(call(.get, "/v1/events").body.contains("evt-2"))
        #expect(call(.get, "/v1/events/evt-9").status == 404)
        #expect(call(.delete, "/v1/events/evt-2").status == 200)
        #expect(call(.delete, "/v1/events").status == 200)
        #expect(service.events.isEmpty)
        #expect(control.noted.map(\.0) == ["created", "updated", "created", "deleted", "deleted"])
    }
}
