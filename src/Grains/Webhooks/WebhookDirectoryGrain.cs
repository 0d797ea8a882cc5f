using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

[GenerateSerializer, Alias("oms.WebhookDirectoryState")]
public sealed class WebhookDirectoryState
{
    [Id(0)] public List<string> Ids { get; set; } = [];
}

/// <summary>Every subscription's id, in creation order: what the API lists and what each silo's sweep wakes.</summary>
public sealed class WebhookDirectoryGrain(
    [PersistentState("webhookDirectory", OmsStorage.Name)] IPersistentState<WebhookDirectoryState> state) : Grain, IWebhookDirectoryGrain
{
    public async Task<bool> Register(string webhookId, int limit)
    {
        if (state.State.Ids.Contains(webhookId))
        {
            return true;
        }

        if (state.State.Ids.Count >= limit)
        {
            return false;
        }

        state.State.Ids.Add(webhookId);
        await Save();
        return true;
    }

    public async Task Remove(string webhookId)
    {
        if (state.State.Ids.Remove(webhookId))
        {
            await Save();
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Ids]);

    private async Task Save()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            await state.ReadStateAsync();
            throw;
        }
    }
}
