using Microsoft.Extensions.Logging;
using Oms.Contracts.Fulfilments;
using Oms.Grains.Queues;

namespace Oms.Grains.Fulfilments;

/// <summary>A location's work queue of fulfilments, kept by the orders' fulfilment grains.</summary>
public sealed class FulfilmentQueueGrain(
    [PersistentState("fulfilment-queue", OmsStorage.Name)] IPersistentState<FulfilmentQueueState> state,
    ILogger<FulfilmentQueueGrain> logger)
    : WorkQueueGrain<FulfilmentQueueState, FulfilmentTask, FulfilmentStatus, FulfilmentTaskPage>(state, logger), IFulfilmentQueueGrain
{
    protected override FulfilmentQueue CreateQueue(FulfilmentQueueState loaded) => new(loaded);
}
