"""The domain: the lifts, who may act for whom, and the services that apply the rules."""
