"""The payment subgraph: plans, checkout through Toss Payments, subscriptions that renew, refunds and
invoices, with money that is never lost or counted twice."""
