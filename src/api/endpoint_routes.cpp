// Endpoints of an application: /api/v1/app/{app}/endpoint, with secret, headers, stats and recover.
#include <boost/url.hpp>

#include "api/request_helpers.hpp"
#include "core/filter.hpp"
#include "core/secrets.hpp"
#include "core/time_format.hpp"
#include "store/operational.hpp"

namespace hookd::api {
namespace {

constexpr std::size_t kMaxUrlLength = 2048;
constexpr std::size_t kMaxChannels = 10;
constexpr std::size_t kMaxFilters = 256;
constexpr auto kDefaultGrace = std::chrono::hours(24);
constexpr auto kMaxGrace = std::chrono::hours(24 * 7);

std::string lower_case(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Headers whose values are withheld when listed: they usually carry credentials.
bool is_sensitive_header(std::string_view name) {
  const std::string lower = lower_case(name);
  return lower == "authorization" || lower == "cookie" || lower == "proxy-authorization" ||
         lower.find("token") != std::string::npos || lower.find("secret") != std::string::npos ||
         lower.find("api-key") != std::string::npos;
}

// Headers we set ourselves and never let custom headers override.
bool is_reserved_header(std::string_view name) {
  const std::string lower = lower_case(name);
  return lower.starts_with("webhook-") || lower.starts_with("svix-") || lower == "content-type" ||
         lower == "content-length" || lower == "host" || lower == "user-agent" ||
         lower == "transfer-encoding" || lower == "connection";
}

Result<void> check_url(const ApiContext& ctx, std::string_view url) {
  if (url.size() > kMaxUrlLength) return invalid("url", "URL longer than 2048 characters");
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return invalid("url", "not an absolute URL");
  if (parsed->scheme() != "http" && parsed->scheme() != "https")
    return invalid("url", "only http and https URLs");
  std::string host(parsed->host_address());
  if (host.empty()) return invalid("url", "URL has no host");
  if (!parsed->encoded_user().empty()) return invalid("url", "credentials in the URL are not allowed");
  if (auto reason = refused_literal_host(ctx.config.address_policy, host)) {
    return invalid("url", "target address refused: " + *reason);
  }
  return {};
}

Result<void> check_event_types(ApiContext& ctx, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (!is_valid_event_pattern(p)) return invalid("filterTypes", "invalid event type or pattern: " + p);
    if (p.find('*') != std::string::npos) continue;
    auto type = ctx.store.get_event_type(p);
    if (!type) {
      if (type.error().kind == ErrorKind::not_found)
        return invalid("filterTypes", "unknown event type: " + p);
      return std::unexpected(type.error());
    }
  }
  return {};
}

// Applies an EndpointIn body. `partial`: PATCH semantics.
Result<void> apply_endpoint_body(ApiContext& ctx, const json::object& body, Endpoint& e, bool partial) {
  auto url = read_string(body, "url", kMaxUrlLength + 1);
  if (!url) return std::unexpected(url.error());
  if (url->value) {
    if (auto r = check_url(ctx, *url->value); !r) return r;
    e.url = *url->value;
  } else if (!partial) {
    return invalid("url", "url is required");
  }
  auto description = read_string(body, "description", 4096);
  if (!description) return std::unexpected(description.error());
  if (description->value) e.description = *description->value;
  auto uid = read_string(body, "uid", 256);
  if (!uid) return std::unexpected(uid.error());
  if (uid->value) {
    if (auto r = check_uid("uid", *uid->value, id_prefix::endpoint); !r) return r;
    e.uid = uid->value;
  } else if (uid->present) {
    e.uid.reset();
  }
  auto disabled = read_bool(body, "disabled");
  if (!disabled) return std::unexpected(disabled.error());
  if (disabled->value) e.disabled = *disabled->value;
  for (const char* key : {"eventTypes", "filterTypes"}) {
    auto types = read_string_list(body, key, kMaxFilters);
    if (!types) return std::unexpected(types.error());
    if (types->value) {
      if (auto r = check_event_types(ctx, *types->value); !r) return r;
      if (types->value->empty())
        e.event_types.reset();
      else
        e.event_types = types->value;
    } else if (types->present) {
      e.event_types.reset();
    }
  }
  auto channels = read_string_list(body, "channels", kMaxChannels);
  if (!channels) return std::unexpected(channels.error());
  if (channels->value) {
    for (const auto& c : *channels->value)
      if (auto r = check_name("channels", c); !r) return r;
    if (channels->value->empty())
      e.channels.reset();
    else
      e.channels = channels->value;
  } else if (channels->present) {
    e.channels.reset();
  }
  for (const char* key : {"rateLimit", "throttleRate"}) {
    auto rate = read_int(body, key);
    if (!rate) return std::unexpected(rate.error());
    if (rate->value) {
      if (*rate->value < 1 || *rate->value > 100000) return invalid(key, "must be from 1 to 100000");
      e.rate_limit = static_cast<int>(*rate->value);
    } else if (rate->present) {
      e.rate_limit.reset();
    }
  }
  auto metadata = read_object_text(body, "metadata");
  if (!metadata) return std::unexpected(metadata.error());
  if (metadata->value) e.metadata_json = *metadata->value;
  auto headers = read_string_map(body, "headers");
  if (!headers) return std::unexpected(headers.error());
  if (headers->value) {
    for (const auto& [k, v] : *headers->value)
      if (is_reserved_header(k)) return invalid("headers", "reserved header: " + k);
    e.headers = *headers->value;
  }
  auto format = read_string(body, "bodyFormat", 16);
  if (!format) return std::unexpected(format.error());
  if (format->value) {
    if (*format->value == "json")
      e.body_format = BodyFormat::json;
    else if (*format->value == "form")
      e.body_format = BodyFormat::form;
    else
      return invalid("bodyFormat", "must be \"json\" or \"form\"");
  }
  auto rule = read_string(body, "successRule", 32);
  if (!rule) return std::unexpected(rule.error());
  if (rule->value) {
    if (*rule->value == "2xx")
      e.success_rule = SuccessRule::any_2xx;
    else if (*rule->value == "200-with-body")
      e.success_rule = SuccessRule::ok_with_body;
    else
      return invalid("successRule", "must be \"2xx\" or \"200-with-body\"");
  }
  for (auto [key, target] :
       {std::pair{"verificationPing", &e.verification_ping}, std::pair{"fifo", &e.fifo}}) {
    auto flag = read_bool(body, key);
    if (!flag) return std::unexpected(flag.error());
    if (flag->value) *target = *flag->value;
  }
  for (auto [key, target] : {std::pair{"authId", &e.auth_id}, std::pair{"authSecret", &e.auth_secret}}) {
    auto text = read_string(body, key, 1024);
    if (!text) return std::unexpected(text.error());
    if (text->value)
      *target = *text->value;
    else if (text->present)
      target->clear();
  }
  return {};
}

Result<std::string> secret_from_body(ApiContext& ctx, const json::object& body) {
  auto secret = read_string(body, "secret", 256);
  if (!secret) return std::unexpected(secret.error());
  if (!secret->value) {
    auto key = read_string(body, "key", 256);  // rotate's field name
    if (!key) return std::unexpected(key.error());
    secret = key;
  }
  if (secret->value) {
    if (*secret->value == "whsk_") return generate_asymmetric_secret();  // ask for a generated Ed25519 key
    if (!is_valid_secret(*secret->value)) {
      return invalid("secret", "must be whsec_ followed by base64 of 24 to 64 bytes, or a whsk_ Ed25519 key");
    }
    return *secret->value;
  }
  return generate_symmetric_secret(ctx.random);
}

Response endpoint_out(int status, const Endpoint& e) {
  return json_response(status, json::serialize(to_json(e)));
}

// endpoint.created / updated / deleted for the operator.
void notify(ApiContext& ctx, std::string_view type, const Endpoint& e) {
  auto app = ctx.store.get_application(e.app_id);
  json::object data{{"appId", e.app_id},
                    {"appUid", app && app->uid ? json::value(*app->uid) : json::value(nullptr)},
                    {"endpointId", e.id},
                    {"endpointUid", e.uid ? json::value(*e.uid) : json::value(nullptr)}};
  store::emit_operational(ctx.store, ctx.ids, ctx.clock.now(), e.app_id, type, json::serialize(data));
}

Result<Endpoint> find_endpoint(ApiContext& ctx, const PathParams& params) {
  auto app = find_app(ctx, params);
  if (!app) return std::unexpected(app.error());
  return ctx.store.get_endpoint(app->id, params.at("endpoint"));
}

Response create_endpoint(ApiContext& ctx, const Application& app, const json::object& body,
                         std::optional<std::string> uid_from_path) {
  Endpoint e;
  e.app_id = app.id;
  if (auto r = apply_endpoint_body(ctx, body, e, false); !r) return to_response(r.error());
  if (!e.uid && uid_from_path && !uid_from_path->starts_with(id_prefix::endpoint)) e.uid = uid_from_path;
  auto secret = secret_from_body(ctx, body);
  if (!secret) return to_response(secret.error());
  e.secrets.push_back(EndpointSecret{*secret, std::nullopt});
  e.id = ctx.ids.next(id_prefix::endpoint);
  e.created_at = e.updated_at = ctx.clock.now();
  return respond(ctx.store.create_endpoint(e), [&ctx](const Endpoint& out) {
    notify(ctx, "endpoint.created", out);
    return endpoint_out(201, out);
  });
}

Response headers_out(const Endpoint& e) {
  json::object headers;
  json::array sensitive;
  for (const auto& [k, v] : e.headers) {
    if (is_sensitive_header(k))
      sensitive.emplace_back(k);
    else
      headers[k] = v;
  }
  return json_response(200, json::serialize(json::object{{"headers", headers}, {"sensitive", sensitive}}));
}

}  // namespace

void register_endpoint_routes(Router& router, ApiContext& ctx) {
  const std::string base = "/api/v1/app/{app}/endpoint";

  router.add("GET", base, [&ctx](const Request& req, const PathParams& params) {
    auto app = find_app(ctx, params);
    if (!app) return to_response(app.error());
    auto page = page_request(req);
    if (!page) return to_response(page.error());
    return respond(ctx.store.list_endpoints(app->id, *page), [](const store::Page<Endpoint>& p) {
      return json_response(200, list_body(
                                    p, [](const Endpoint& e) { return json::serialize(to_json(e)); },
                                    [](const Endpoint& e) { return e.id; }));
    });
  });

  router.add("POST", base, [&ctx](const Request& req, const PathParams& params) {
    auto app = find_app(ctx, params);
    if (!app) return to_response(app.error());
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    return create_endpoint(ctx, *app, *body, std::nullopt);
  });

  router.add("GET", base + "/{endpoint}", [&ctx](const Request&, const PathParams& params) {
    return respond(find_endpoint(ctx, params), [](const Endpoint& e) { return endpoint_out(200, e); });
  });

  auto update = [&ctx](bool partial) {
    return [&ctx, partial](const Request& req, const PathParams& params) {
      auto body = parse_object(req.body);
      if (!body) return to_response(body.error());
      auto app = find_app(ctx, params);
      if (!app) return to_response(app.error());
      auto existing = ctx.store.get_endpoint(app->id, params.at("endpoint"));
      if (!existing) {
        if (partial || existing.error().kind != ErrorKind::not_found) return to_response(existing.error());
        return create_endpoint(ctx, *app, *body, params.at("endpoint"));  // PUT upserts
      }
      Endpoint e = *existing;
      if (!partial) {  // PUT replaces the optional parts it does not mention (Svix: defaults, so enabled)
        e.event_types.reset();
        e.channels.reset();
        e.description.clear();
        e.disabled = false;
        e.rate_limit.reset();
        e.metadata_json = "{}";
      }
      if (auto r = apply_endpoint_body(ctx, *body, e, partial); !r) return to_response(r.error());
      e.updated_at = ctx.clock.now();
      return respond(ctx.store.update_endpoint(e), [&ctx](const Endpoint& out) {
        notify(ctx, "endpoint.updated", out);
        return endpoint_out(200, out);
      });
    };
  };
  router.add("PUT", base + "/{endpoint}", update(false));
  router.add("PATCH", base + "/{endpoint}", update(true));

  router.add("DELETE", base + "/{endpoint}", [&ctx](const Request&, const PathParams& params) {
    auto e = find_endpoint(ctx, params);
    if (!e) return to_response(e.error());
    auto r = ctx.store.delete_endpoint(e->app_id, e->id);
    if (!r) return to_response(r.error());
    notify(ctx, "endpoint.deleted", *e);
    return no_content();
  });

  router.add("GET", base + "/{endpoint}/secret", [&ctx](const Request&, const PathParams& params) {
    return respond(find_endpoint(ctx, params), [](const Endpoint& e) {
      json::object out{{"key", e.secrets.front().key}};
      if (auto pub = public_key_of_secret(e.secrets.front().key)) out["publicKey"] = *pub;
      return json_response(200, json::serialize(out));
    });
  });

  router.add("POST", base + "/{endpoint}/secret/rotate",
             [&ctx](const Request& req, const PathParams& params) {
               auto body = parse_object(req.body.empty() ? "{}" : req.body);
               if (!body) return to_response(body.error());
               auto e = find_endpoint(ctx, params);
               if (!e) return to_response(e.error());
               auto grace = read_int(*body, "gracePeriodSeconds");
               if (!grace) return to_response(grace.error());
               Millis grace_period = kDefaultGrace;
               if (grace->value) {
                 if (*grace->value < 0 || std::chrono::seconds(*grace->value) > kMaxGrace) {
                   return validation_error("gracePeriodSeconds", "must be from 0 to 604800 (7 days)");
                 }
                 grace_period = std::chrono::seconds(*grace->value);
               }
               auto secret = secret_from_body(ctx, *body);
               if (!secret) return to_response(secret.error());
               auto now = ctx.clock.now();
               Endpoint updated = *e;
               std::vector<EndpointSecret> kept{EndpointSecret{*secret, std::nullopt}};
               for (auto s : updated.secrets) {
                 if (!s.expires_at) s.expires_at = now + grace_period;  // the previous current key
                 if (*s.expires_at > now) kept.push_back(s);
               }
               updated.secrets = std::move(kept);
               updated.updated_at = now;
               auto r = ctx.store.update_endpoint(updated);
               return r ? no_content() : to_response(r.error());
             });

  router.add("GET", base + "/{endpoint}/headers", [&ctx](const Request&, const PathParams& params) {
    return respond(find_endpoint(ctx, params), headers_out);
  });

  auto set_headers = [&ctx](bool patch) {
    return [&ctx, patch](const Request& req, const PathParams& params) {
      auto body = parse_object(req.body);
      if (!body) return to_response(body.error());
      auto e = find_endpoint(ctx, params);
      if (!e) return to_response(e.error());
      auto headers = read_string_map(*body, "headers");
      if (!headers) return to_response(headers.error());
      if (!headers->value && !patch) return validation_error("headers", "headers is required");
      Endpoint updated = *e;
      if (!patch) updated.headers.clear();
      if (headers->value) {
        for (const auto& [k, v] : *headers->value) {
          if (is_reserved_header(k)) return validation_error("headers", "reserved header: " + k);
          const auto* raw = body->at("headers").as_object().if_contains(k);
          if (patch && raw && raw->is_null())
            updated.headers.erase(k);
          else
            updated.headers[k] = v;
        }
      }
      auto deletes = read_string_list(*body, "deleteHeaders");
      if (!deletes) return to_response(deletes.error());
      if (deletes->value)
        for (const auto& k : *deletes->value) updated.headers.erase(k);
      updated.updated_at = ctx.clock.now();
      auto r = ctx.store.update_endpoint(updated);
      return r ? no_content() : to_response(r.error());
    };
  };
  router.add("PUT", base + "/{endpoint}/headers", set_headers(false));
  router.add("PATCH", base + "/{endpoint}/headers", set_headers(true));

  router.add("GET", base + "/{endpoint}/stats", [&ctx](const Request& req, const PathParams& params) {
    auto e = find_endpoint(ctx, params);
    if (!e) return to_response(e.error());
    auto since = time_param(req, "since");
    if (!since) return to_response(since.error());
    auto until = time_param(req, "until");
    if (!until) return to_response(until.error());
    return respond(ctx.store.endpoint_stats(e->app_id, e->id, *since, *until),
                   [](const store::EndpointStats& s) {
                     return json_response(200, json::serialize(json::object{{"success", s.success},
                                                                            {"pending", s.pending},
                                                                            {"sending", s.sending},
                                                                            {"fail", s.fail},
                                                                            {"canceled", 0}}));
                   });
  });

  router.add("POST", base + "/{endpoint}/recover", [&ctx](const Request& req, const PathParams& params) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    auto e = find_endpoint(ctx, params);
    if (!e) return to_response(e.error());
    auto since_text = read_string(*body, "since", 64);
    if (!since_text) return to_response(since_text.error());
    if (!since_text->value) return validation_error("since", "since is required");
    auto since = parse_rfc3339(*since_text->value);
    if (!since) return validation_error("since", "must be an RFC 3339 time");
    auto until_text = read_string(*body, "until", 64);
    if (!until_text) return to_response(until_text.error());
    std::optional<TimePoint> until;
    if (until_text->value) {
      until = parse_rfc3339(*until_text->value);
      if (!until) return validation_error("until", "must be an RFC 3339 time");
    }
    auto now = ctx.clock.now();
    auto count = ctx.store.recover_failed(e->app_id, e->id, *since, until, now);
    if (!count) return to_response(count.error());
    return json_response(202, json::serialize(json::object{{"id", ctx.ids.next(id_prefix::task)},
                                                           {"status", "finished"},
                                                           {"task", "endpoint.recover"},
                                                           {"recovered", *count},
                                                           {"updatedAt", format_rfc3339(now)}}));
  });
}

}  // namespace hookd::api
