"""Local HTTPS emulators of Salesforce and HubSpot.

The sandbox is written from the vendors' documentation and is tested only through the vendors'
own clients. It shares no code with ``connector`` or ``adapters``: an emulator that reused the
engine's parser or models would share its mistakes and prove nothing.
"""
