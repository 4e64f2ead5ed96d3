import Kairos

print("kairos: commands arrive with the cron engine")
