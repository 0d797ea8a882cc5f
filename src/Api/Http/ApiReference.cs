using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Oms.Api.ClickAndCollect;
using Oms.Api.Sourcing;
using Oms.Api.Security;
using Oms.Api.Stock;
using Microsoft.AspNetCore.Authorization;
using Oms.Contracts;
using Scalar.AspNetCore;

namespace Oms.Api.Http;

/// <summary>
/// The OpenAPI document, completed with what endpoint metadata cannot say (summaries, the query strings handlers
/// parse themselves, the id rule, the problems every operation may answer), and an interactive reference at /docs.
/// Kept in one table so a generated client's view of the API can be read, and checked by a test, in one place.
/// </summary>
public static class ApiReference
{
    public const string IdPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
    private const string BearerScheme = "bearer";

    private sealed record Query(string Name, JsonSchemaType Type, string Description, double? Min = null, double? Max = null, bool Required = false, string? Pattern = null);

    private sealed record Operation(string Id, string Summary, params Query[] Queries);

    private static readonly Query View = new("view", JsonSchemaType.String, "online (default): what can be sold online; store: what each shop can sell over its counter.");

    private static readonly Dictionary<string, Operation> Operations = new(StringComparer.Ordinal)
    {
        ["PUT /api/v1/locations/{locationId}"] = new("upsertLocation", "Register or update a warehouse or boutique"),
        ["GET /api/v1/locations/{locationId}"] = new("getLocation", "Read one location's profile"),
        ["GET /api/v1/locations"] = new("listLocations", "List every location"),
        ["GET /api/v1/locations/{locationId}/fulfilments"] = new("listLocationFulfilments", "A location's fulfilment work queue, oldest first",
            new Query("status", JsonSchemaType.String, "Only fulfilments in this status; every open one by default.", Pattern: Oms.Api.Fulfilments.WorkQueueEndpoints.StatusPattern),
            new Query("limit", JsonSchemaType.Integer, $"Fulfilments per page; {Oms.Grains.Fulfilments.FulfilmentQueue.DefaultLimit} by default.", 1, Oms.Grains.Fulfilments.FulfilmentQueue.MaxLimit),
            new Query("cursor", JsonSchemaType.String, "The previous page's next.")),
        ["PUT /api/v1/locations/{locationId}/stock"] = new("applyStockSnapshot", "Apply a feed snapshot of absolute on-hand figures"),
        ["POST /api/v1/stock/adjustments"] = new("applyStockAdjustment", "Apply an on-hand delta once per adjustment id"),
        ["GET /api/v1/locations/{locationId}/stock/{sku}"] = new("getStockLevel", "Read the exact position of a SKU at a location"),
        ["GET /api/v1/locations/{locationId}/stock/{sku}/ledger"] = new("getStockLedger", "Page the movements behind a position",
            new Query("after", JsonSchemaType.Integer, "Return movements after this ledger sequence (the previous page's next).", 0),
            new Query("limit", JsonSchemaType.Integer, "Movements per page; 100 by default.", 1, StockEndpoints.MaxLedgerPage)),
        ["POST /api/v1/locations/{locationId}/stock/{sku}/verify"] = new("verifyStockLedger", "Replay the ledger and compare it with the live position"),
        ["POST /api/v1/locations/{locationId}/stock/{sku}/holds"] = new("placeStockHold", "Hold units of one SKU at one location for a buyer"),
        ["GET /api/v1/locations/{locationId}/stock/{sku}/holds/{holdId}"] = new("getStockHold", "Read a hold: held, released, expired or allocated"),
        ["DELETE /api/v1/locations/{locationId}/stock/{sku}/holds/{holdId}"] = new("releaseStockHold", "Release a hold (idempotent)"),
        ["GET /api/v1/availability/{sku}"] = new("getAvailability", "Where a SKU can be sold, and how many, across the network", View),
        ["POST /api/v1/availability/query"] = new("queryAvailability", "Network availability of several SKUs", View),
        ["GET /api/v1/boutiques/{locationId}/stock"] = new("getBoutiqueStock", "A boutique's on hand and available, for listed SKUs or a page of all",
            new Query("skus", JsonSchemaType.String, $"Comma-separated SKUs, at most {ClickAndCollectEndpoints.MaxSkusPerLookup}; without it, a page of everything held."),
            new Query("cursor", JsonSchemaType.String, "The previous page's next."),
            new Query("limit", JsonSchemaType.Integer, "Items per page.", 1, ClickAndCollectEndpoints.MaxStockPage)),
        ["GET /api/v1/click-and-collect/options"] = new("getPickupOptions", "Boutiques near a point that can have a SKU ready, nearest first",
            new Query("sku", JsonSchemaType.String, "The SKU to collect.", Required: true),
            new Query("quantity", JsonSchemaType.Integer, "Units wanted; 1 by default.", 1, ClickAndCollectEndpoints.MaxQuantity),
            new Query("lat", JsonSchemaType.Number, "Latitude of the shopper.", -90, 90, Required: true),
            new Query("lon", JsonSchemaType.Number, "Longitude of the shopper.", -180, 180, Required: true),
            new Query("radiusKm", JsonSchemaType.Number, "Search radius; 50 by default.", 0, ClickAndCollectEndpoints.MaxRadiusKm),
            new Query("limit", JsonSchemaType.Integer, "Options returned; 10 by default.", 1, ClickAndCollectEndpoints.MaxOptions)),
        ["POST /api/v1/click-and-collect/options"] = new("getBasketPickupOptions", "Boutiques near a point that can have a whole basket ready"),
        ["POST /api/v1/reservations"] = new("createReservation", "Hold stock for a checkout, every line or none"),
        ["GET /api/v1/reservations/{reservationId}"] = new("getReservation", "Read a reservation"),
        ["DELETE /api/v1/reservations/{reservationId}"] = new("releaseReservation", "Release a reservation (idempotent)"),
        ["POST /api/v1/orders"] = new("placeOrder", "Check out: source, allocate and create an order"),
        ["GET /api/v1/orders/{orderId}"] = new("getOrder", "The customer-care view of an order"),
        ["GET /api/v1/orders"] = new("searchOrders", "Find orders by email, customer, name, status, channel, location, attention or text, newest or oldest first",
            new Query("email", JsonSchemaType.String, "The customer's e-mail address, in any case."),
            new Query("customerId", JsonSchemaType.String, "The customer's id.", Pattern: IdPattern),
            new Query("name", JsonSchemaType.String, "Part of the customer's name, in any case."),
            new Query("status", JsonSchemaType.String, "Only orders in this status.", Pattern: Oms.Api.Orders.OrderSearchEndpoints.StatusPattern),
            new Query("channel", JsonSchemaType.String, "Only orders of this channel.", Pattern: Oms.Api.Orders.OrderSearchEndpoints.ChannelPattern),
            new Query("locationId", JsonSchemaType.String, "Only orders that touch this location: a fulfilment's, the pickup boutique or the boutique it was placed in.", Pattern: IdPattern),
            new Query("needsAttention", JsonSchemaType.Boolean, "Only orders that need (true) or do not need (false) a person."),
            new Query("createdFrom", JsonSchemaType.String, "Created at or after this instant (ISO 8601)."),
            new Query("createdTo", JsonSchemaType.String, "Created before this instant (ISO 8601)."),
            new Query("q", JsonSchemaType.String, "Free text over the order number, the e-mail and the name."),
            new Query("sort", JsonSchemaType.String, "newest (default): newest first, to find an order; oldest: oldest first, to work through a queue such as needsAttention=true. A cursor pages only the sort that gave it.",
                Pattern: Oms.Api.Orders.OrderSearchEndpoints.SortPattern),
            new Query("limit", JsonSchemaType.Integer, $"Orders per page; {Oms.Grains.Orders.OrderSearch.DefaultLimit} by default.", 1, Oms.Grains.Orders.OrderSearch.MaxLimit),
            new Query("cursor", JsonSchemaType.String, "The previous page's next.")),
        ["POST /api/v1/order-search/rebuild"] = new("rebuildOrderSearch", "Forget order search's rows and project them again from the start of the event feed"),
        ["POST /api/v1/orders/{orderId}/cancel"] = new("cancelOrder", "Cancel an order, or some units of its lines"),
        ["POST /api/v1/orders/{orderId}/notes"] = new("addOrderNote", "Add a note to an order's timeline"),
        ["POST /api/v1/orders/{orderId}/fulfilments/{fulfilmentId}/events"] = new("reportFulfilmentEvent",
            "Report what happened to a fulfilment: accepted, rejected, packed, shipped, delivered, received, ready for pickup, collected"),
        ["GET /api/v1/orders/{orderId}/fulfilments/{fulfilmentId}"] = new("getFulfilment", "Read one fulfilment: status, units, shipment, deadlines and history"),
        ["POST /api/v1/orders/{orderId}/resource"] = new("resourceOrder", "Source the order's unfulfillable lines again"),
        ["POST /api/v1/orders/{orderId}/pickup-location"] = new("changePickupLocation",
            "Move a click-and-collect order not yet ready to another boutique: sourced again there, all or nothing"),
        ["POST /api/v1/orders/{orderId}/returns"] = new("authoriseReturn", "Authorise the return of delivered or collected units, by carrier or at a boutique"),
        ["POST /api/v1/orders/{orderId}/exchanges"] = new("createExchange", "Exchange delivered units for others: the return authorised and the replacement allocated at once, all or nothing"),
        ["POST /api/v1/returns/{returnId}/receive"] = new("receiveReturn", "Receive some or all units of a return: resellable ones back on hand at once, damaged ones quarantined"),
        ["GET /api/v1/returns/{returnId}"] = new("getReturn", "Read one return: its lines, what arrived, and its refund estimate"),
        ["GET /api/v1/returns"] = new("listReturns", "A location's receiving queue: the returns still expected there, oldest first",
            new Query("locationId", JsonSchemaType.String, "The warehouse or boutique receiving.", Required: true, Pattern: IdPattern),
            new Query("status", JsonSchemaType.String, "Only returns in this status; every open one by default.", Pattern: Oms.Api.Returns.ReturnEndpoints.StatusPattern),
            new Query("limit", JsonSchemaType.Integer, $"Returns per page; {Oms.Grains.Returns.ReturnQueue.DefaultLimit} by default.", 1, Oms.Grains.Returns.ReturnQueue.MaxLimit),
            new Query("cursor", JsonSchemaType.String, "The previous page's next.")),
        ["POST /api/v1/refunds/{refundId}/events"] = new("reportRefundEvent", "Accounting's answer to a refund request: succeeded or failed, with its reference"),
        ["GET /api/v1/customers/{customerId}/orders"] = new("listCustomerOrders", "A customer's orders, newest first",
            new Query("limit", JsonSchemaType.Integer, "Orders returned.", 1, 500)),
        ["PUT /api/v1/sourcing/profiles/{profileId}"] = new("putSourcingProfile", "Replace the sourcing profile of a channel and delivery method"),
        ["GET /api/v1/sourcing/profiles/{profileId}"] = new("getSourcingProfile", "Read the sourcing profile of a channel and delivery method"),
        ["POST /api/v1/sourcing/simulate"] = new("simulateSourcing", "The plan a checkout body would get; nothing is allocated"),
        ["PUT /api/v1/carriers/{carrierId}"] = new("upsertCarrier", "Register or replace a carrier, its services' transit and calendars, and its holidays"),
        ["GET /api/v1/carriers/{carrierId}"] = new("getCarrier", "Read one carrier"),
        ["GET /api/v1/carriers"] = new("listCarriers", "List every carrier"),
        ["GET /api/v1/cluster/silos"] = new("listSilos", "The cluster's active silos, with their addresses and last heartbeat"),
        ["GET /api/v1/locations/{locationId}/stock/{sku}/placement"] = new("getStockItemPlacement", "Which silo holds a stock item in memory, without activating it"),
        ["GET /api/v1/orders/{orderId}/placement"] = new("getOrderPlacement", "Which silos hold an order, its fulfilments and its returns in memory"),
        ["POST /api/v1/promise"] = new("promiseBasket", "Delivery options for a basket: each carrier service's dates and cut-off, and click-and-collect"),
        ["POST /api/v1/promise/query"] = new("promiseListing", "Fastest delivery date per SKU for a listing page, from memory"),
        ["GET /api/v1/metrics/promise"] = new("getPromiseMetrics", "Share of deliveries on time, early and late, per carrier service and per source",
            new Query("from", JsonSchemaType.String, "First delivery date, yyyy-MM-dd; 29 days before to by default.", Pattern: @"^\d{4}-\d{2}-\d{2}$"),
            new Query("to", JsonSchemaType.String, "Last delivery date, yyyy-MM-dd; today (UTC) by default.", Pattern: @"^\d{4}-\d{2}-\d{2}$")),
        ["POST /api/v1/api-keys"] = new("createApiKey", "Create an API key; its secret is in this response only"),
        ["GET /api/v1/api-keys"] = new("listApiKeys", "List API keys, never their secrets"),
        ["GET /api/v1/api-keys/{keyId}"] = new("getApiKey", "Read one API key, never its secret"),
        ["DELETE /api/v1/api-keys/{keyId}"] = new("revokeApiKey", "Revoke an API key on every API node within the key refresh period"),
        ["POST /api/v1/api-keys/{keyId}/rotate"] = new("rotateApiKey", "Give an API key a new secret; the old one works for graceSeconds more"),
        ["GET /api/v1/audit"] = new("listAudit", "Page the audit log of state-changing requests, oldest first",
            new Query("after", JsonSchemaType.Integer, "Entries after this audit id (the previous page's next).", 0),
            new Query("actor", JsonSchemaType.String, "Only this actor: key:<keyId>, jwt:<subject>, bootstrap or anonymous.", Pattern: Oms.Api.Security.AuditEndpoints.ActorRule),
            new Query("limit", JsonSchemaType.Integer, "Entries per page; 100 by default.", 1, Oms.Api.Security.AuditEndpoints.MaxLimit)),
        ["GET /api/v1/events"] = new("listEvents", "Page the global event feed in position order, or long-poll for what comes next",
            new Query("after", JsonSchemaType.Integer, "Events after this position (the previous page's next).", 0, int.MaxValue),
            new Query("limit", JsonSchemaType.Integer, "Events per page; 100 by default.", 1, Oms.Api.Events.EventEndpoints.MaxLimit),
            new Query("types", JsonSchemaType.String, "Comma-separated types or family patterns (order.*, stock.low), at most 50."),
            new Query("wait", JsonSchemaType.Integer, "Seconds to wait for an event when none is there yet; 0 by default.", 0, Oms.Api.Events.EventEndpoints.MaxWaitSeconds)),
        ["GET /api/v1/orders/{orderId}/events"] = new("listOrderEvents", "One order's events, in sequence",
            new Query("after", JsonSchemaType.Integer, "Events after this sequence (the previous page's next).", 0, int.MaxValue),
            new Query("limit", JsonSchemaType.Integer, "Events per page; 100 by default.", 1, Oms.Api.Events.EventEndpoints.MaxLimit)),
    };

    /// <summary>Operations that take an Idempotency-Key, so a retried call is answered, not repeated.</summary>
    private static readonly HashSet<string> Idempotent = ["POST /api/v1/orders", "POST /api/v1/orders/{orderId}/cancel", "POST /api/v1/orders/{orderId}/returns", "POST /api/v1/orders/{orderId}/exchanges"];

    public static IServiceCollection AddApiReference(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(ProblemDetails))
                {
                    DescribeProblem(schema);
                }

                foreach (var (name, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
                {
                    if (property is OpenApiSchema { Type: JsonSchemaType.String } id && (name.EndsWith("Id", StringComparison.Ordinal) || name == "sku"))
                    {
                        AsId(id);
                    }
                }

                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                // The roles come from the endpoint's own policy, so the document cannot drift from what is enforced.
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().LastOrDefault()?.Policy is { } policy
                    && Policies.Roles.TryGetValue(policy, out var roles))
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
                    operation.Description = $"Policy `{policy}`: {string.Join(", ", roles.Select(Roles.Name))}." +
                        (operation.Description is { Length: > 0 } more ? $"\n\n{more}" : "");
                }

                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key (oms_…) from POST /api/v1/api-keys or the bootstrap setting, or a JWT of the configured identity provider.",
                };
                Complete(document);
                return Task.CompletedTask;
            });
        });

    public static void MapApiReference(this WebApplication app)
    {
        // Open: a client learns the API, and the bearer scheme it declares, before it has a key.
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithTitle("Oms.Orleans API")).AllowAnonymous();
    }

    private static void Complete(OpenApiDocument document)
    {
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                var key = $"{method.Method.ToUpperInvariant()} {path}";
                if (Operations.TryGetValue(key, out var known))
                {
                    operation.OperationId = known.Id;
                    operation.Summary = known.Summary;
                }

                operation.Parameters ??= [];
                foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
                {
                    parameter.Schema = parameter.Name == "profileId" ? ProfileIdSchema() : AsId(new OpenApiSchema { Type = JsonSchemaType.String });
                }

                foreach (var query in known?.Queries ?? [])
                {
                    var existing = operation.Parameters.FirstOrDefault(p => p.Name == query.Name && p.In == ParameterLocation.Query);
                    if (existing is not null)
                    {
                        operation.Parameters.Remove(existing);
                    }

                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = query.Name,
                        In = ParameterLocation.Query,
                        Required = query.Required,
                        Description = query.Description,
                        Schema = new OpenApiSchema
                        {
                            Type = query.Type,
                            Minimum = query.Min?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Maximum = query.Max?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Pattern = query.Pattern,
                        },
                    });
                }

                if (Idempotent.Contains(key))
                {
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = "Idempotency-Key",
                        In = ParameterLocation.Header,
                        Description = "Makes a retry safe: the same key and body answer the first result; the same key with another body is a 422.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 128 },
                    });
                }

                AddProblems(document, operation, hasPath: path.Contains('{'), hasInput: operation.Parameters.Count > 0 || operation.RequestBody is not null);
            }
        }
    }

    /// <summary>What any operation may answer besides its own outcomes: each is an RFC 9457 problem.</summary>
    private static void AddProblems(OpenApiDocument document, OpenApiOperation operation, bool hasPath, bool hasInput)
    {
        operation.Responses ??= [];
        void Add(int status, string description)
        {
            var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.ContainsKey(code))
            {
                operation.Responses[code] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), document) },
                    },
                };
            }
        }

        if (hasInput)
        {
            Add(StatusCodes.Status400BadRequest, "The request is invalid; errors names each field.");
        }

        if (hasPath)
        {
            Add(StatusCodes.Status404NotFound, "What the path names does not exist; errors names it.");
        }

        if (operation.RequestBody is not null)
        {
            Add(StatusCodes.Status413PayloadTooLarge, $"The body is over {JsonBody.MaxBytes} bytes.");
            Add(StatusCodes.Status415UnsupportedMediaType, "The body is not application/json.");
        }

        if (operation.Security is { Count: > 0 })
        {
            Add(StatusCodes.Status401Unauthorized, "No credential, or one that is unknown, expired or revoked.");
            Add(StatusCodes.Status403Forbidden, "The credential's role, channel or location does not allow this; missing says which.");
            Add(StatusCodes.Status429TooManyRequests, "The credential's rate limit is spent; Retry-After says when to retry.");
        }

        Add(StatusCodes.Status503ServiceUnavailable, "The order management cluster is unavailable; retry shortly.");
        foreach (var response in operation.Responses.Values.OfType<OpenApiResponse>().Where(r => string.IsNullOrEmpty(r.Description)))
        {
            response.Description = "See the operation's summary.";
        }
    }

    private static OpenApiSchema AsId(OpenApiSchema schema)
    {
        schema.Pattern = IdPattern;
        schema.MinLength = 1;
        schema.MaxLength = Ids.MaxLength;
        return schema;
    }

    private static OpenApiSchema ProfileIdSchema() => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. SourcingEndpoints.ProfileIds.Order(StringComparer.Ordinal).Select(id => (JsonNode)JsonValue.Create(id)!)],
    };

    /// <summary>The two extensions clients act on: errors (field to messages) and shortLines (what stock was missing).</summary>
    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Each field at fault (JSON path style, e.g. lines[0].quantity) with what is wrong with it.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Properties["shortLines"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            Description = "On a 409 for missing stock: each line that could not be served, and what is available.",
            Items = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["lineIndex"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["lineId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["sku"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["locationId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["requested"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["available"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["reason"] = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            },
        };
    }
}
